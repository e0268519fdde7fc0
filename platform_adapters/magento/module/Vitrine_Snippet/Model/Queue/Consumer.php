<?php
/**
 * Consumer "vitrineNotifications" of queue vitrine.notification (etc/queue_consumer.xml): posts
 * each notification the Notifier published, through Sender.
 *
 * Message: {"event_id", "body", "attempt"}. Each message is tried up to TRIES_PER_RUN times
 * with 1 s, 2 s backoff; if the sync server still did not take it (no answer, 401, 408, 429,
 * 5xx), it is published again with attempt + 1 and so goes to the back of the queue, which
 * spaces the next tries out behind the rest of the queue and the next consumer run (Magento's
 * cron_consumers_runner starts consumers every minute). After MAX_ATTEMPTS publications it is
 * logged and dropped: the scheduled `magento import --since auto` covers it. The event id stays
 * the same throughout, so the sync server stores it once however many tries reach it.
 *
 * Never throws: Magento's consumer rejects (drops) a message whose handler throws.
 */
declare(strict_types=1);

namespace Vitrine\Snippet\Model\Queue;

use Magento\Framework\MessageQueue\PublisherInterface;
use Magento\Framework\Serialize\Serializer\Json;
use Psr\Log\LoggerInterface;
use Vitrine\Snippet\Model\Sender;

class Consumer
{
    public const TOPIC = 'vitrine.notification';
    public const TRIES_PER_RUN = 3;
    public const MAX_ATTEMPTS = 20;

    /** @var callable(int): void waits the given milliseconds */
    private $sleep;

    public function __construct(
        private readonly Sender $sender,
        private readonly PublisherInterface $publisher,
        private readonly Json $json,
        private readonly LoggerInterface $logger,
        ?callable $sleep = null
    ) {
        $this->sleep = $sleep ?? static function (int $ms): void {
            usleep($ms * 1000);
        };
    }

    public function process(string $message): void
    {
        try {
            $decoded = $this->json->unserialize($message);
        } catch (\Throwable $e) {
            $decoded = null;
        }
        if (!is_array($decoded) || !is_string($decoded['event_id'] ?? null)
            || !is_string($decoded['body'] ?? null)) {
            $this->logger->error('Vitrine: unreadable queue message dropped');
            return;
        }
        $eventId = $decoded['event_id'];
        $attempt = (int)($decoded['attempt'] ?? 0);
        $status = 0;
        for ($try = 0; $try < self::TRIES_PER_RUN; ++$try) {
            if ($try > 0) {
                ($this->sleep)(1000 << ($try - 1));
            }
            $status = $this->sender->send($eventId, $decoded['body']);
            if (Sender::isDelivered($status)) {
                return;
            }
            if (!Sender::isRetryable($status)) {
                $this->logger->warning('Vitrine: notification refused, not retried', [
                    'event_id' => $eventId,
                    'status' => $status,
                ]);
                return;
            }
        }
        if ($attempt + 1 >= self::MAX_ATTEMPTS) {
            $this->logger->error('Vitrine: notification given up', [
                'event_id' => $eventId,
                'status' => $status,
                'attempts' => $attempt + 1,
            ]);
            return;
        }
        try {
            $decoded['attempt'] = $attempt + 1;
            $this->publisher->publish(self::TOPIC, $this->json->serialize($decoded));
        } catch (\Throwable $e) {
            $this->logger->error('Vitrine: notification could not be queued again', [
                'event_id' => $eventId,
                'error' => $e->getMessage(),
            ]);
        }
    }
}
