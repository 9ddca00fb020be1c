mod health;

pub use health::healthz;
