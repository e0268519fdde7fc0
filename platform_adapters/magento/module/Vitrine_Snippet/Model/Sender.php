<?php
/**
 * Signs and posts one change notification to the sync server (POST {server}/v1/magento/events):
 *   X-Vitrine-Event-Id   the notification's id, fixed when it was created: every retry reuses
 *                        it, so the sync server stores the notification once
 *   X-Vitrine-Timestamp  Unix seconds at sending (the server accepts 5 minutes either way, so a
 *                        notification that waited in the queue is signed afresh)
 *   X-Vitrine-Signature  "v1=" . hex HMAC-SHA256(secret, timestamp . "." . event id . "." . body)
 *
 * Never throws: a transport failure is status 0.
 */
declare(strict_types=1);

namespace Vitrine\Snippet\Model;

use Magento\Framework\HTTP\Client\CurlFactory;
use Psr\Log\LoggerInterface;

class Sender
{
    public function __construct(
        private readonly Config $config,
        private readonly CurlFactory $curlFactory,
        private readonly LoggerInterface $logger
    ) {
    }

    /** The HTTP status of the answer; 0 when no answer came. */
    public function send(string $eventId, string $body): int
    {
        try {
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
            return (int)$curl->getStatus();
        } catch (\Throwable $e) {
            $this->logger->warning('Vitrine: notification not delivered', [
                'event_id' => $eventId,
                'error' => $e->getMessage(),
            ]);
            return 0;
        }
    }

    /** 202 queued, 200 duplicate (an earlier try arrived): either way the server has it. */
    public static function isDelivered(int $status): bool
    {
        return $status === 200 || $status === 202;
    }

    /**
     * Worth another try: no answer, throttled, server errors, and 401 (a secret rotated on one
     * side first: the retry goes out once both sides agree again). 400 and the like will not
     * change on a retry.
     */
    public static function isRetryable(int $status): bool
    {
        return $status === 0 || $status === 401 || $status === 408 || $status === 429 || $status >= 500;
    }
}
