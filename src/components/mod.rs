//! The page's parts, one component family per file.
//!
//! - [`status_bar`]: the broker link in words (`role="status"`), with "retry now".
//! - [`device_card`]: one device: name, address, its channels, readings, answers, problems.
//! - [`channel_control`]: one channel: a switch, a press button, a contact indicator or an
//!   unconfirmed on/off pair, with its state in words.
//! - [`readings_line`]: power, energy, voltage, temperature, signal, uptime.
//! - [`sparkline`]: the power over the last minutes, as a small inline SVG.
//! - [`device_edit_form`]: a device's label, room, confirmation and command limit, edited.
//! - [`schedule_panel`]: the schedules a device keeps itself, its clock, and their buttons;
//!   [`schedule_editor`]: the form for one schedule.
//! - [`found_list`]: devices announced on the broker, each added with one click.
//! - [`room_off`]: a room's "all off", with a confirming second tap.
//! - [`group_bar`]: the Tasmota group "all off" with its confirmation step.
//! - [`connection_panel`]: broker address, user and password.
//! - [`profile_bar`]: several broker profiles: choose, add, rename, delete.
//! - [`add_device_form`]: add a device of any kind.
//! - [`message_log`]: the last messages with a topic filter and a pause, and a raw publish form.
//! - [`settings_panel`]: export and import the setup as a file, and a share link.
//! - [`setup_banner`]: where the setup came from (a link, unreadable saved settings), and
//!   keeping it.
//! - [`language_picker`]: the language menu (browser language or a chosen one).
//! - [`panel`]: a collapsible panel built the first time it is opened.
//! - [`two_tap`]: the second tap that guards a risky action.
//! - [`text_field`]: a labelled input bound to a signal, and a form's error line.

pub mod add_device_form;
pub mod channel_control;
pub mod connection_panel;
pub mod device_card;
pub mod device_edit_form;
pub mod found_list;
pub mod group_bar;
pub mod language_picker;
pub mod message_log;
pub mod panel;
pub mod profile_bar;
pub mod readings_line;
pub mod room_off;
pub mod schedule_editor;
pub mod schedule_panel;
pub mod settings_panel;
pub mod setup_banner;
pub mod sparkline;
pub mod status_bar;
pub mod text_field;
pub mod two_tap;
