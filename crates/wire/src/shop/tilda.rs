//! tilda: see the parent module.
