<?php
declare(strict_types=1);

namespace Vitrine\Snippet\Observer;

use Magento\Catalog\Api\ProductRepositoryInterface;
use Magento\Framework\Event\Observer;
use Magento\Framework\Event\ObserverInterface;
use Vitrine\Snippet\Model\Config;
use Vitrine\Snippet\Model\Notifier;

/**
 * catalog_product_save_commit_after: price, stock, content and status changes. Whatever scope
 * the admin saved in (All Store Views, or one view's overrides), the product is rendered for the
 * catalog's store view (Config::getCatalogStoreCode): a French title saved in the French view
 * never reaches a catalog that shows the default view, and a global price change saved while in
 * the French view's scope still does.
 */
class ProductSaved implements ObserverInterface
{
    public function __construct(
        private readonly Notifier $notifier,
        private readonly ProductRepositoryInterface $productRepository,
        private readonly Config $config
    ) {
    }

    public function execute(Observer $observer): void
    {
        $product = $observer->getEvent()->getProduct();
        if ($product === null || !$product->getId()) {
            return;
        }
        $store = $this->notifier->storeFor($this->config->getCatalogStoreCode());
        try {
            // Reloaded (not from the repository's cache) so stock and links are the committed ones.
            $rendered = $this->productRepository->getById(
                (int)$product->getId(),
                false,
                $store === null ? null : (int)$store->getId(),
                true
            );
        } catch (\Throwable $e) {
            $this->notifier->reportFailure('product.saved', $e);
            return;
        }
        $this->notifier->notify('product.saved', $rendered, ProductRepositoryInterface::class, 'get', $store);
    }
}
