//! Pure components: each draws its props and reports user intent through callbacks.

pub mod actions;
pub mod bench;
pub mod charts;
pub mod controls;
pub mod forms;
pub mod graph;
pub mod icons;
pub mod inspector;
pub mod status;
pub mod timelines;
