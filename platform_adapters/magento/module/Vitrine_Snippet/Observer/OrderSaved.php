<?php
declare(strict_types=1);

namespace Vitrine\Snippet\Observer;

use Magento\Framework\Event\Observer;
use Magento\Framework\Event\ObserverInterface;
use Magento\Sales\Api\OrderRepositoryInterface;
use Vitrine\Snippet\Model\Notifier;

/** sales_order_save_commit_after: placed, invoiced, shipped, cancelled, ... */
class OrderSaved implements ObserverInterface
{
    public function __construct(
        private readonly Notifier $notifier,
        private readonly OrderRepositoryInterface $orderRepository
    ) {
    }

    public function execute(Observer $observer): void
    {
        $order = $observer->getEvent()->getOrder();
        if ($order === null || !$order->getEntityId()) {
            return;
        }
        // Through the repository: the REST shape, extension attributes included. Labelled with
        // the order's own store view (its currency and URLs), not the admin's.
        $this->notifier->notify(
            'order.saved',
            $this->orderRepository->get((int)$order->getEntityId()),
            OrderRepositoryInterface::class,
            'get',
            $this->notifier->storeFor((int)$order->getStoreId())
        );
    }
}
