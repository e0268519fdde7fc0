<?php
/**
 * Adds the configured sync server and loader hosts to the storefront's Content Security Policy:
 * script-src (loader.js, vitrine.js and its WebAssembly) and connect-src (events, snapshots).
 */
declare(strict_types=1);

namespace Vitrine\Snippet\Model\Csp;

use Magento\Csp\Api\PolicyCollectorInterface;
use Magento\Csp\Model\Policy\FetchPolicy;
use Vitrine\Snippet\Model\Config;

class ConfigCollector implements PolicyCollectorInterface
{
    public function __construct(private readonly Config $config)
    {
    }

    public function collect(array $defaultPolicies = []): array
    {
        $hosts = [];
        foreach ([$this->config->getServerUrl(), $this->config->getLoaderUrl()] as $url) {
            $parts = $url === '' ? false : parse_url($url);
            if (is_array($parts) && isset($parts['scheme'], $parts['host'])) {
                $host = $parts['scheme'] . '://' . $parts['host'];
                if (isset($parts['port'])) {
                    $host .= ':' . $parts['port'];
                }
                $hosts[$host] = true;
            }
        }
        if ($hosts === []) {
            return $defaultPolicies;
        }
        $hosts = array_keys($hosts);
        $defaultPolicies[] = new FetchPolicy('script-src', false, $hosts);
        $defaultPolicies[] = new FetchPolicy('connect-src', false, $hosts);
        return $defaultPolicies;
    }
}
