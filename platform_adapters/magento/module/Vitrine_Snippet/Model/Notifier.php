<?php
/**
 * Builds one change notification and hands it on: to Magento's message queue (topic
 * vitrine.notification; the Queue\Consumer posts it with retries, off the shop's request path),
 * or, with delivery set to "inline", straight to the sync server through Sender (one try,
 * bounded by the configured timeout).
 *
 * Body: {"topic", "store": {"code", "id", "base_url", "media_url", "currency"}, "data", ...extra}.
 * Entities are rendered exactly as the REST API would (ServiceOutputProcessor), so the sync
 * server maps notifications and imports with the same code. "store" is the view the entity was
 * rendered for (the caller passes it; the current store otherwise).
 *
 * Failures are logged, never thrown: a shop's checkout must not fail because Vitrine is down.
 * What a lost notification missed, the next `vitrine-server magento import --since auto` (run
 * from cron) brings in.
 */
declare(strict_types=1);

namespace Vitrine\Snippet\Model;

use Magento\Framework\MessageQueue\PublisherInterface;
use Magento\Framework\Serialize\Serializer\Json;
use Magento\Framework\UrlInterface;
use Magento\Framework\Webapi\ServiceOutputProcessor;
use Magento\Store\Api\Data\StoreInterface;
use Magento\Store\Model\StoreManagerInterface;
use Psr\Log\LoggerInterface;
use Vitrine\Snippet\Model\Queue\Consumer;

class Notifier
{
    public function __construct(
        private readonly Config $config,
        private readonly Sender $sender,
        private readonly PublisherInterface $publisher,
        private readonly Json $json,
        private readonly ServiceOutputProcessor $outputProcessor,
        private readonly StoreManagerInterface $storeManager,
        private readonly LoggerInterface $logger
    ) {
    }

    /**
     * @param string $topic order.saved | customer.saved | product.saved | product.deleted |
     *                      creditmemo.saved
     * @param object|array $entity the service data object (or, for deletions, ['id' => ...])
     * @param string $serviceClass repository interface whose $serviceMethod returns $entity
     * @param StoreInterface|null $store the store view $entity belongs to or was rendered for
     * @param array $extra more members of the body: name => [entity, serviceClass, serviceMethod]
     */
    public function notify(
        string $topic,
        $entity,
        string $serviceClass = '',
        string $serviceMethod = '',
        ?StoreInterface $store = null,
        array $extra = []
    ): void {
        if (!$this->config->areNotificationsEnabled()) {
            return;
        }
        try {
            $store = $store ?? $this->storeManager->getStore();
            $body = [
                'topic' => $topic,
                'store' => [
                    'code' => $store->getCode(),
                    'id' => (int)$store->getId(),
                    'base_url' => $store->getBaseUrl(UrlInterface::URL_TYPE_LINK, true),
                    'media_url' => $store->getBaseUrl(UrlInterface::URL_TYPE_MEDIA, true),
                    'currency' => $store->getBaseCurrencyCode(),
                ],
                'data' => $this->render($entity, $serviceClass, $serviceMethod),
            ];
            foreach ($extra as $name => [$extraEntity, $extraClass, $extraMethod]) {
                $body[$name] = $this->render($extraEntity, $extraClass, $extraMethod);
            }
            $serialized = $this->json->serialize($body);
            // Fixed here, before any try: the sync server deduplicates retries on it.
            $eventId = bin2hex(random_bytes(16));
            if ($this->config->isQueueDelivery()) {
                $this->publisher->publish(
                    Consumer::TOPIC,
                    $this->json->serialize(['event_id' => $eventId, 'body' => $serialized, 'attempt' => 0])
                );
                return;
            }
            $status = $this->sender->send($eventId, $serialized);
            if (!Sender::isDelivered($status)) {
                $this->logger->warning('Vitrine: notification refused', [
                    'topic' => $topic,
                    'status' => $status,
                ]);
            }
        } catch (\Throwable $e) {
            $this->logger->warning('Vitrine: notification failed', [
                'topic' => $topic,
                'error' => $e->getMessage(),
            ]);
        }
    }

    /** The store view by id or code; null (the current one is used) when there is no such view. */
    public function storeFor(int|string $idOrCode): ?StoreInterface
    {
        try {
            return $this->storeManager->getStore($idOrCode);
        } catch (\Throwable $e) {
            $this->logger->warning('Vitrine: no store view ' . $idOrCode, ['error' => $e->getMessage()]);
            return null;
        }
    }

    /** For observers whose own lookups failed before notify() could run. */
    public function reportFailure(string $topic, \Throwable $e): void
    {
        $this->logger->warning('Vitrine: notification failed', [
            'topic' => $topic,
            'error' => $e->getMessage(),
        ]);
    }

    /** @param object|array $entity */
    private function render($entity, string $serviceClass, string $serviceMethod): array
    {
        return is_array($entity)
            ? $entity
            : $this->outputProcessor->process($entity, $serviceClass, $serviceMethod);
    }
}
