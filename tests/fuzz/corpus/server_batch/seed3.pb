"
product_teleportedûÿÿÿÿÿÿÿÿ