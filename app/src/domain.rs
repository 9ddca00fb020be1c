//! Domain types shared by the server and the browser: they parse, so holding one is proof
//! the value is valid.

mod email_address;
mod next_path;
mod sign_in_code;

pub use email_address::{EmailAddress, EmailAddressError};
pub use next_path::NextPath;
pub use sign_in_code::SignInCode;
