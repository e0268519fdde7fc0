<?php
declare(strict_types=1);

namespace Vitrine\Snippet\Observer;

use Magento\Framework\Event\Observer;
use Magento\Framework\Event\ObserverInterface;
use Magento\Sales\Api\CreditmemoRepositoryInterface;
use Magento\Sales\Api\OrderRepositoryInterface;
use Vitrine\Snippet\Model\Notifier;

/**
 * sales_order_creditmemo_save_after: a refund, online or offline. The event fires inside the
 * save's transaction, so the notification is deferred to a commit callback: a rolled-back
 * refund is never reported, and the memo is rendered as committed. The memo names its order by
 * entity id only, so the order goes along (the sync server needs its buyer and number).
 */
class CreditMemoSaved implements ObserverInterface
{
    public function __construct(
        private readonly Notifier $notifier,
        private readonly CreditmemoRepositoryInterface $creditmemoRepository,
        private readonly OrderRepositoryInterface $orderRepository
    ) {
    }

    public function execute(Observer $observer): void
    {
        $creditmemo = $observer->getEvent()->getCreditmemo();
        if ($creditmemo === null || !$creditmemo->getEntityId()) {
            return;
        }
        $memoId = (int)$creditmemo->getEntityId();
        $orderId = (int)$creditmemo->getOrderId();
        $notify = function () use ($memoId, $orderId): void {
            try {
                $order = $this->orderRepository->get($orderId);
                $this->notifier->notify(
                    'creditmemo.saved',
                    $this->creditmemoRepository->get($memoId),
                    CreditmemoRepositoryInterface::class,
                    'get',
                    $this->notifier->storeFor((int)$order->getStoreId()),
                    ['order' => [$order, OrderRepositoryInterface::class, 'get']]
                );
            } catch (\Throwable $e) {
                // Never break the refund; the scheduled import brings the memo in.
                $this->notifier->reportFailure('creditmemo.saved', $e);
            }
        };
        $resource = $creditmemo->getResource();
        if ($resource !== null && method_exists($resource, 'addCommitCallback')) {
            $resource->addCommitCallback($notify);
        } else {
            $notify();
        }
    }
}
