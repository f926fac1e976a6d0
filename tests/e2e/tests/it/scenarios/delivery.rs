//! Delivery webhook scenarios (tests land with the next commit).
