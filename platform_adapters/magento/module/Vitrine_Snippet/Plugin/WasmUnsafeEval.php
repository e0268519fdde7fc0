<?php
/**
 * Browsers compile WebAssembly only when script-src allows 'wasm-unsafe-eval' (or the much wider
 * 'unsafe-eval'). Magento's FetchPolicy has no flag for that keyword, so it is appended to the
 * script-src directive of the rendered header, on the storefront only.
 */
declare(strict_types=1);

namespace Vitrine\Snippet\Plugin;

use Magento\Csp\Model\Policy\Renderer\SimplePolicyHeaderRenderer;
use Magento\Framework\App\Area;
use Magento\Framework\App\Response\HttpInterface;
use Magento\Framework\App\State;
use Vitrine\Snippet\Model\Config;

class WasmUnsafeEval
{
    private const HEADERS = ['Content-Security-Policy', 'Content-Security-Policy-Report-Only'];

    public function __construct(
        private readonly Config $config,
        private readonly State $appState
    ) {
    }

    public function afterRender(SimplePolicyHeaderRenderer $subject, $result, $policy, HttpInterface $response)
    {
        try {
            if ($this->appState->getAreaCode() !== Area::AREA_FRONTEND || !$this->config->isLoaderEnabled()) {
                return $result;
            }
        } catch (\Magento\Framework\Exception\LocalizedException $e) {
            return $result;  // no area yet
        }
        foreach (self::HEADERS as $name) {
            $header = $response->getHeader($name);
            if (!$header) {
                continue;
            }
            $value = $header->getFieldValue();
            if (str_contains($value, "'wasm-unsafe-eval'") || !str_contains($value, 'script-src ')) {
                continue;
            }
            $value = preg_replace('/(^|;\s*)script-src /', "$1script-src 'wasm-unsafe-eval' ", $value, 1);
            $response->setHeader($name, $value, true);
        }
        return $result;
    }
}
