//! The refusals several operations share, each set one type: an annotation names the set
//! (`responses((status = 204, …), DirectoryChange)`) instead of listing its statuses, so
//! operations that refuse alike are documented alike. An operation whose refusals are its
//! own lists them in its annotation. The 400, 401 and 503 that almost every operation can
//! answer are added to the document once (`http::openapi::finish`).

use std::collections::BTreeMap;
use utoipa::openapi::response::Response;
use utoipa::openapi::{Ref, RefOr};

macro_rules! refusals {
    ($($(#[$doc:meta])* $name:ident { $($status:literal => $response:ident),+ $(,)? })+) => {
        $(
            $(#[$doc])*
            pub struct $name;

            impl utoipa::IntoResponses for $name {
                fn responses() -> BTreeMap<String, RefOr<Response>> {
                    [$(($status.to_string(), RefOr::Ref(Ref::from_response_name(stringify!($response))))),+]
                        .into_iter()
                        .collect()
                }
            }
        )+
    };
}

refusals! {
    /// Values the rules refuse (a blank name, a field too long), each field named.
    Invalid { 422 => Problem }

    /// A change to the directory by an administrator: the thing changed may be gone, or the
    /// change may conflict with what it is now.
    DirectoryChange { 403 => Problem, 404 => Problem, 409 => Problem, 422 => Problem }

    /// Removing something from the directory: it may be gone, or still in use.
    DirectoryRemoval { 403 => Problem, 404 => Problem, 409 => Problem }

    /// Creating a queue or category, whose name must be its own.
    NewName { 403 => Problem, 409 => NameTaken, 422 => Problem }

    /// Any chat but one the staff member may see.
    UnseenChat { 404 => ChatNotVisible }

    /// A live stream beyond its token's or its address's cap of streams open at once.
    StreamCap { 429 => Problem }

    /// Any chat but the customer token's own.
    OtherChat { 404 => NotThisTokensChat }

    /// An upload the server would not take: cut off, too large, of a kind it does not take,
    /// empty or not alone, refused by the scanner, or the scanner not there.
    Upload {
        400 => UploadIncomplete, 413 => FileTooLarge, 415 => FileTypeRefused,
        422 => FileInvalid, 503 => ScannerDown,
    }

    /// Placing or lifting a legal hold: for those who oversee, on a chat they may see, and
    /// only where there is (or is not) a hold already.
    HoldChange { 403 => OverseersOnly, 404 => ChatNotVisible, 409 => Problem }
}
