//! The durable job engine that carries orders to ACTIVE or ERROR (orders issue; not built yet).
