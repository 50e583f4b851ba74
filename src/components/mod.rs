//! The page's parts, one component family per file.
//!
//! - [`status_bar`]: the broker link in words (`role="status"`), with "retry now".
//! - [`switch_card`]: one device: its `role="switch"` button, state in words, "send toggle".
//! - [`connection_panel`]: broker address, user and password.
//! - [`add_device_form`]: add a Tasmota device by topic.
//! - [`text_field`]: a labelled input bound to a signal, and a form's error line.

pub mod add_device_form;
pub mod connection_panel;
pub mod status_bar;
pub mod switch_card;
pub mod text_field;
