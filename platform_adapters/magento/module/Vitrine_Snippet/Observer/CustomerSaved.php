<?php
declare(strict_types=1);

namespace Vitrine\Snippet\Observer;

use Magento\Customer\Api\CustomerRepositoryInterface;
use Magento\Framework\Event\Observer;
use Magento\Framework\Event\ObserverInterface;
use Vitrine\Snippet\Model\Notifier;

/** customer_save_after_data_object: registration, account edits, admin edits. */
class CustomerSaved implements ObserverInterface
{
    public function __construct(
        private readonly Notifier $notifier
    ) {
    }

    public function execute(Observer $observer): void
    {
        $customer = $observer->getEvent()->getCustomerDataObject();
        if ($customer === null || !$customer->getId()) {
            return;
        }
        $this->notifier->notify(
            'customer.saved',
            $customer,
            CustomerRepositoryInterface::class,
            'getById',
            $this->notifier->storeFor((int)$customer->getStoreId())
        );
    }
}
