//! Pure components: each draws its props and reports user intent through callbacks.

pub mod actions;
pub mod bench;
pub mod charts;
pub mod checker;
pub mod compare;
pub mod controls;
pub mod forms;
pub mod graph;
pub mod icons;
pub mod inspector;
pub mod lessons;
pub mod share;
pub mod status;
pub mod timelines;
pub mod view_menu;
pub mod welcome;
