<?php
/**
 * Supplies the loader tag's attributes (view/frontend/templates/loader.phtml).
 */
declare(strict_types=1);

namespace Vitrine\Snippet\Block;

use Magento\Framework\View\Element\Template;
use Magento\Framework\View\Element\Template\Context;
use Vitrine\Snippet\Model\Config;

class Loader extends Template
{
    public function __construct(
        Context $context,
        private readonly Config $config,
        array $data = []
    ) {
        parent::__construct($context, $data);
    }

    /** Enabled, with a server URL and a write key: anything less would only log errors. */
    public function isConfigured(): bool
    {
        return $this->config->isLoaderEnabled($this->storeId())
            && $this->getServerUrl() !== ''
            && $this->getWriteKey() !== '';
    }

    public function getServerUrl(): string
    {
        return $this->config->getServerUrl($this->storeId());
    }

    public function getLoaderUrl(): string
    {
        return $this->config->getLoaderUrl($this->storeId());
    }

    public function getWriteKey(): string
    {
        return $this->config->getWriteKey($this->storeId());
    }

    public function isPageViewEnabled(): bool
    {
        return $this->config->isPageViewEnabled($this->storeId());
    }

    private function storeId(): int
    {
        return (int)$this->_storeManager->getStore()->getId();
    }
}
