<?php
declare(strict_types=1);

namespace Vitrine\Snippet\Observer;

use Magento\Framework\Event\Observer;
use Magento\Framework\Event\ObserverInterface;
use Vitrine\Snippet\Model\Notifier;

/** catalog_product_delete_commit_after: the sync server stops recommending the product. */
class ProductDeleted implements ObserverInterface
{
    public function __construct(private readonly Notifier $notifier)
    {
    }

    public function execute(Observer $observer): void
    {
        $product = $observer->getEvent()->getProduct();
        if ($product === null || !$product->getId()) {
            return;
        }
        $this->notifier->notify('product.deleted', ['id' => (int)$product->getId(), 'sku' => (string)$product->getSku()]);
    }
}
