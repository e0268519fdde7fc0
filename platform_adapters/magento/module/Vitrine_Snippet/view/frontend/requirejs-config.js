/* Storefront JavaScript can depend on 'vitrine' (the queue the loader defines), e.g.
 *   require(['vitrine'], function (vitrine) { vitrine.track('product_viewed', {...}); });
 */
var config = {
    map: {
        '*': {
            vitrine: 'Vitrine_Snippet/js/vitrine'
        }
    }
};
