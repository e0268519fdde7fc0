<?php
declare(strict_types=1);

namespace Vitrine\Snippet\Model\Config\Source;

use Magento\Framework\Data\OptionSourceInterface;

/** How notifications leave the shop (vitrine/notifications/delivery). */
class Delivery implements OptionSourceInterface
{
    public const QUEUE = 'queue';
    public const INLINE = 'inline';

    public function toOptionArray(): array
    {
        return [
            ['value' => self::QUEUE, 'label' => __('Message queue (consumer vitrineNotifications, with retries)')],
            ['value' => self::INLINE, 'label' => __('Inline, during the save (one try)')],
        ];
    }
}
