//! Loading and modelling the content tree.

pub mod fields;
pub mod frontmatter;
pub mod load;
pub mod model;
pub mod schema;
pub mod skeleton;

pub use load::{Content, LoadOptions, load};
pub use model::*;
