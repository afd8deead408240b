//! `/api/v1/tools/attachments`: files kept in object storage under the tenant's prefix, with
//! their metadata in the tenant's schema. Uploads are streamed to a spool file within the
//! size limit, typed from their bytes, then stored; downloads stream back with the stored type.

mod api;
mod dto;
mod multipart;
mod repo;

pub use api::AttachmentsApi;
pub use dto::{Attachment, AttachmentPage, AttachmentUpdate};
pub use multipart::AttachmentUpload;

// The domain's tag and permissions, so that the handlers still name them `super::...`.
use super::{TOOLS_ATTACHMENTS_READ, TOOLS_ATTACHMENTS_WRITE, Tag};
