<?php
declare(strict_types=1);

namespace Vitrine\Snippet\Observer;

use Magento\Catalog\Api\ProductRepositoryInterface;
use Magento\Framework\Event\Observer;
use Magento\Framework\Event\ObserverInterface;
use Vitrine\Snippet\Model\Notifier;

/** catalog_product_save_commit_after: price, stock, content and status changes. */
class ProductSaved implements ObserverInterface
{
    public function __construct(
        private readonly Notifier $notifier,
        private readonly ProductRepositoryInterface $productRepository
    ) {
    }

    public function execute(Observer $observer): void
    {
        $product = $observer->getEvent()->getProduct();
        if ($product === null || !$product->getId()) {
            return;
        }
        // Reloaded (not from the repository's cache) so stock and links are the committed ones.
        $this->notifier->notify(
            'product.saved',
            $this->productRepository->getById((int)$product->getId(), false, null, true),
            ProductRepositoryInterface::class,
            'get'
        );
    }
}
