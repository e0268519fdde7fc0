<?php
/**
 * Runs the module's Sender and Queue\Consumer (the real files) against stand-ins for the few
 * Magento classes they touch, and prints one JSON object with what happened, for
 * module_test.cc to check. Usage: php queue_harness.php <module dir> <secret>
 */
declare(strict_types=1);

namespace Magento\Framework\HTTP\Client {
    class Curl
    {
        /** @var array<int|null> answers in order; null: the transport fails */
        public static array $answers = [];
        public static array $posts = [];
        private int $status = 0;
        private array $headers = [];

        public function setTimeout($seconds): void
        {
        }

        public function setHeaders(array $headers): void
        {
            $this->headers = $headers;
        }

        public function post($url, $body): void
        {
            self::$posts[] = ['url' => $url, 'headers' => $this->headers, 'body' => $body];
            $answer = array_shift(self::$answers);
            if ($answer === null) {
                throw new \Exception('Could not connect to server');
            }
            $this->status = $answer;
        }

        public function getStatus(): int
        {
            return $this->status;
        }
    }

    class CurlFactory
    {
        public function create(): Curl
        {
            return new Curl();
        }
    }
}

namespace Magento\Framework\MessageQueue {
    interface PublisherInterface
    {
        public function publish($topicName, $data);
    }
}

namespace Magento\Framework\Serialize\Serializer {
    class Json
    {
        public function serialize($data)
        {
            return json_encode($data, JSON_UNESCAPED_SLASHES);
        }

        public function unserialize($string)
        {
            $decoded = json_decode((string)$string, true);
            if ($decoded === null) {
                throw new \InvalidArgumentException('Unable to unserialize value.');
            }
            return $decoded;
        }
    }
}

namespace Magento\Framework\App\Config {
    interface ScopeConfigInterface
    {
        public function getValue($path, $scopeType = 'default', $scopeCode = null);

        public function isSetFlag($path, $scopeType = 'default', $scopeCode = null);
    }
}

namespace Magento\Framework\Encryption {
    interface EncryptorInterface
    {
        public function decrypt($data);
    }
}

namespace Magento\Store\Model {
    interface ScopeInterface
    {
        public const SCOPE_STORE = 'store';
    }
}

namespace Magento\Framework\Data {
    interface OptionSourceInterface
    {
        public function toOptionArray();
    }
}

namespace Psr\Log {
    interface LoggerInterface
    {
        public function warning($message, array $context = []);

        public function error($message, array $context = []);
    }
}

namespace {
    function __($text)
    {
        return $text;
    }

    $moduleDir = $argv[1];
    $secret = $argv[2];
    require $moduleDir . '/Model/Config/Source/Delivery.php';
    require $moduleDir . '/Model/Config.php';
    require $moduleDir . '/Model/Sender.php';
    require $moduleDir . '/Model/Queue/Consumer.php';

    $scope = new class ($secret) implements \Magento\Framework\App\Config\ScopeConfigInterface {
        public function __construct(private string $secret)
        {
        }

        public function getValue($path, $scopeType = 'default', $scopeCode = null)
        {
            return [
                'vitrine/general/server_url' => 'https://vitrine.example/',
                'vitrine/notifications/shared_secret' => 'encrypted:' . $this->secret,
                'vitrine/notifications/timeout' => '3',
            ][$path] ?? null;
        }

        public function isSetFlag($path, $scopeType = 'default', $scopeCode = null)
        {
            return true;
        }
    };
    $encryptor = new class implements \Magento\Framework\Encryption\EncryptorInterface {
        public function decrypt($data)
        {
            return substr((string)$data, strlen('encrypted:'));
        }
    };
    $logger = new class implements \Psr\Log\LoggerInterface {
        public array $lines = [];

        public function warning($message, array $context = [])
        {
            $this->lines[] = 'warning: ' . $message;
        }

        public function error($message, array $context = [])
        {
            $this->lines[] = 'error: ' . $message;
        }
    };
    $publisher = new class implements \Magento\Framework\MessageQueue\PublisherInterface {
        public array $published = [];

        public function publish($topicName, $data)
        {
            $this->published[] = ['topic' => $topicName, 'data' => $data];
        }
    };
    $sleeps = [];
    $config = new \Vitrine\Snippet\Model\Config($scope, $encryptor);
    $sender = new \Vitrine\Snippet\Model\Sender($config, new \Magento\Framework\HTTP\Client\CurlFactory(), $logger);
    $json = new \Magento\Framework\Serialize\Serializer\Json();
    $consumer = new \Vitrine\Snippet\Model\Queue\Consumer(
        $sender,
        $publisher,
        $json,
        $logger,
        function (int $ms) use (&$sleeps): void {
            $sleeps[] = $ms;
        }
    );
    $Curl = \Magento\Framework\HTTP\Client\Curl::class;
    $run = function (string $name, array $answers, string $message) use (
        $consumer,
        $publisher,
        $logger,
        &$sleeps,
        $Curl
    ): array {
        $Curl::$answers = $answers;
        $Curl::$posts = [];
        $publisher->published = [];
        $logger->lines = [];
        $sleeps = [];
        $consumer->process($message);
        return [
            'case' => $name,
            'posts' => $Curl::$posts,
            'published' => $publisher->published,
            'sleeps' => $sleeps,
            'log' => $logger->lines,
        ];
    };
    $body = '{"topic":"creditmemo.saved","data":{"entity_id":3}}';
    $message = fn (int $attempt) => $json->serialize(['event_id' => 'evt-1', 'body' => $body, 'attempt' => $attempt]);
    echo json_encode([
        'topic' => \Vitrine\Snippet\Model\Queue\Consumer::TOPIC,
        'queue_delivery' => $config->isQueueDelivery(),
        'catalog_store' => $config->getCatalogStoreCode(),
        'cases' => [
            $run('delivered', [202], $message(0)),
            $run('retried_then_delivered', [503, null, 200], $message(0)),
            $run('requeued', [503, 429, 500], $message(0)),
            $run('refused', [400], $message(0)),
            $run('given_up', [503, 503, 503], $message(19)),
            $run('unreadable', [], 'not json'),
        ],
    ], JSON_UNESCAPED_SLASHES), "\n";
}
