<?php
/**
 * Posts one change notification to the sync server (POST {server}/v1/magento/events):
 *   X-Vitrine-Event-Id   a fresh random id (the sync server deduplicates on it)
 *   X-Vitrine-Timestamp  Unix seconds
 *   X-Vitrine-Signature  "v1=" . hex HMAC-SHA256(secret, timestamp . "." . event id . "." . body)
 * The body renders the entity exactly as the REST API would (ServiceOutputProcessor), so the
 * sync server maps notifications and imports with the same code.
 *
 * Failures are logged, never thrown: a shop's checkout must not fail because Vitrine is down.
 * What a failed notification missed, the next `vitrine-server magento import --since auto`
 * (run from cron) brings in.
 */
declare(strict_types=1);

namespace Vitrine\Snippet\Model;

use Magento\Framework\HTTP\Client\CurlFactory;
use Magento\Framework\Serialize\Serializer\Json;
use Magento\Framework\UrlInterface;
use Magento\Framework\Webapi\ServiceOutputProcessor;
use Magento\Store\Model\StoreManagerInterface;
use Psr\Log\LoggerInterface;

class Notifier
{
    public function __construct(
        private readonly Config $config,
        private readonly CurlFactory $curlFactory,
        private readonly Json $json,
        private readonly ServiceOutputProcessor $outputProcessor,
        private readonly StoreManagerInterface $storeManager,
        private readonly LoggerInterface $logger
    ) {
    }

    /**
     * @param string $topic order.saved | customer.saved | product.saved | product.deleted
     * @param object|array $entity the service data object (or, for deletions, ['id' => ...])
     * @param string $serviceClass repository interface whose $serviceMethod returns $entity
     */
    public function notify(string $topic, $entity, string $serviceClass = '', string $serviceMethod = ''): void
    {
        if (!$this->config->areNotificationsEnabled()) {
            return;
        }
        try {
            $data = is_array($entity)
                ? $entity
                : $this->outputProcessor->process($entity, $serviceClass, $serviceMethod);
            $store = $this->storeManager->getStore();
            $body = $this->json->serialize([
                'topic' => $topic,
                'store' => [
                    'code' => $store->getCode(),
                    'base_url' => $store->getBaseUrl(UrlInterface::URL_TYPE_LINK, true),
                    'media_url' => $store->getBaseUrl(UrlInterface::URL_TYPE_MEDIA, true),
                    'currency' => $store->getBaseCurrencyCode(),
                ],
                'data' => $data,
            ]);
            $eventId = bin2hex(random_bytes(16));
            $timestamp = (string)time();
            $signature = 'v1=' . hash_hmac(
                'sha256',
                $timestamp . '.' . $eventId . '.' . $body,
                $this->config->getSharedSecret()
            );
            $curl = $this->curlFactory->create();
            $curl->setTimeout($this->config->getTimeoutSeconds());
            $curl->setHeaders([
                'Content-Type' => 'application/json',
                'X-Vitrine-Event-Id' => $eventId,
                'X-Vitrine-Timestamp' => $timestamp,
                'X-Vitrine-Signature' => $signature,
            ]);
            $curl->post($this->config->getServerUrl() . '/v1/magento/events', $body);
            $status = $curl->getStatus();
            if ($status !== 200 && $status !== 202) {
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
}
