//! Pure components: each draws its props and reports user intent through callbacks.

pub mod bench;
pub mod controls;
pub mod graph;
pub mod icons;
pub mod status;
