mod email_form;
mod link_explorer;

pub use email_form::EmailForm;
pub use link_explorer::LinkExplorer;
