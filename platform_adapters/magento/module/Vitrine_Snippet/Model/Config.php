<?php
/**
 * Reads the module's settings (etc/adminhtml/system.xml) for a store view.
 */
declare(strict_types=1);

namespace Vitrine\Snippet\Model;

use Magento\Framework\App\Config\ScopeConfigInterface;
use Magento\Framework\Encryption\EncryptorInterface;
use Magento\Store\Model\ScopeInterface;
use Vitrine\Snippet\Model\Config\Source\Delivery;

class Config
{
    private const PATH_ENABLED = 'vitrine/general/enabled';
    private const PATH_SERVER_URL = 'vitrine/general/server_url';
    private const PATH_LOADER_URL = 'vitrine/general/loader_url';
    private const PATH_WRITE_KEY = 'vitrine/general/write_key';
    private const PATH_PAGE_VIEW = 'vitrine/general/page_view';
    private const PATH_NOTIFY = 'vitrine/notifications/enabled';
    private const PATH_SECRET = 'vitrine/notifications/shared_secret';
    private const PATH_TIMEOUT = 'vitrine/notifications/timeout';
    private const PATH_DELIVERY = 'vitrine/notifications/delivery';
    private const PATH_CATALOG_STORE = 'vitrine/notifications/catalog_store';

    public function __construct(
        private readonly ScopeConfigInterface $scopeConfig,
        private readonly EncryptorInterface $encryptor
    ) {
    }

    public function isLoaderEnabled(?int $storeId = null): bool
    {
        return $this->scopeConfig->isSetFlag(self::PATH_ENABLED, ScopeInterface::SCOPE_STORE, $storeId);
    }

    public function getServerUrl(?int $storeId = null): string
    {
        $url = (string)$this->scopeConfig->getValue(self::PATH_SERVER_URL, ScopeInterface::SCOPE_STORE, $storeId);
        return rtrim(trim($url), '/');
    }

    public function getLoaderUrl(?int $storeId = null): string
    {
        $url = trim((string)$this->scopeConfig->getValue(
            self::PATH_LOADER_URL,
            ScopeInterface::SCOPE_STORE,
            $storeId
        ));
        if ($url === '' && $this->getServerUrl($storeId) !== '') {
            $url = $this->getServerUrl($storeId) . '/vitrine/loader.js';
        }
        return $url;
    }

    public function getWriteKey(?int $storeId = null): string
    {
        return trim((string)$this->scopeConfig->getValue(self::PATH_WRITE_KEY, ScopeInterface::SCOPE_STORE, $storeId));
    }

    public function isPageViewEnabled(?int $storeId = null): bool
    {
        return $this->scopeConfig->isSetFlag(self::PATH_PAGE_VIEW, ScopeInterface::SCOPE_STORE, $storeId);
    }

    public function areNotificationsEnabled(): bool
    {
        return $this->scopeConfig->isSetFlag(self::PATH_NOTIFY)
            && $this->getSharedSecret() !== ''
            && $this->getServerUrl() !== '';
    }

    public function getSharedSecret(): string
    {
        $stored = (string)$this->scopeConfig->getValue(self::PATH_SECRET);
        return $stored === '' ? '' : $this->encryptor->decrypt($stored);
    }

    public function getTimeoutSeconds(): int
    {
        $timeout = (int)$this->scopeConfig->getValue(self::PATH_TIMEOUT);
        return $timeout > 0 ? $timeout : 3;
    }

    /** Through the message queue (the default) rather than inline during the save. */
    public function isQueueDelivery(): bool
    {
        return (string)$this->scopeConfig->getValue(self::PATH_DELIVERY) !== Delivery::INLINE;
    }

    /**
     * The store view whose product data the sync server's catalog shows (the sync server's
     * VITRINE_MAGENTO_STORE, the import's --store-code): product notifications are rendered for it.
     */
    public function getCatalogStoreCode(): string
    {
        $code = trim((string)$this->scopeConfig->getValue(self::PATH_CATALOG_STORE));
        return $code === '' ? 'default' : $code;
    }
}
