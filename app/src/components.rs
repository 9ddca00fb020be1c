mod link_explorer;

pub use link_explorer::LinkExplorer;
