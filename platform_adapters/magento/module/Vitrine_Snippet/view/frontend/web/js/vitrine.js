/* AMD face of window.vitrine: returns the loader's queue (or a plain array that the loader adopts
 * when it runs later), so calls made from RequireJS modules are never lost. */
define([], function () {
    'use strict';

    window.vitrine = window.vitrine || [];
    return window.vitrine;
});
