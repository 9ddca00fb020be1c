mod code_field;
mod email_form;
mod link_explorer;
mod submit_button;

pub use code_field::{CodeField, code_error};
pub use email_form::EmailForm;
pub use link_explorer::LinkExplorer;
pub use submit_button::SubmitButton;
