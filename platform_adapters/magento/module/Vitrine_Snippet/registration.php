<?php
/**
 * Vitrine_Snippet: injects the Vitrine loader into the storefront and notifies the Vitrine sync
 * server of saved orders, customers and products (signed with a shared secret).
 */
declare(strict_types=1);

use Magento\Framework\Component\ComponentRegistrar;

ComponentRegistrar::register(ComponentRegistrar::MODULE, 'Vitrine_Snippet', __DIR__);
