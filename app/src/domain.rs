//! Domain types shared by the server and the browser: they parse, so holding one is proof
//! the value is valid.

mod email_address;

pub use email_address::{EmailAddress, EmailAddressError};
