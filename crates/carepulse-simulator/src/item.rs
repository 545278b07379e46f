//! What the simulator yields: items in send order, each with its simulated
//! send time, its payload, and what it is meant to be.

use carepulse_model::Channel;
use chrono::{DateTime, Utc};

/// What an item is meant to be, so a run can be checked against intent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ItemKind {
    /// A valid feedback submission (portal, SMS, e-mail, tablet, ...).
    Submission,
    /// A valid kiosk button press.
    KioskPress,
    /// An exact copy of an earlier item, same event id (a retry storm).
    Duplicate,
    /// One of a burst of presses on one kiosk within seconds: valid on the
    /// wire, to be flagged as a repeat by the ingest service.
    MashedPress,
    /// Deliberately invalid: must be refused.
    Bad,
}

impl ItemKind {
    /// Every kind, in report order.
    pub const ALL: [ItemKind; 5] = [
        ItemKind::Submission,
        ItemKind::KioskPress,
        ItemKind::Duplicate,
        ItemKind::MashedPress,
        ItemKind::Bad,
    ];

    /// The kind's name in files and reports (`kiosk_press`).
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::Submission => "submission",
            ItemKind::KioskPress => "kiosk_press",
            ItemKind::Duplicate => "duplicate",
            ItemKind::MashedPress => "mashed_press",
            ItemKind::Bad => "bad",
        }
    }
}

/// Where an item is posted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// `POST /v1/feedback`: a feedback submission.
    Feedback,
    /// `POST /v1/kiosk/presses`: a kiosk button press.
    KioskPresses,
}

impl Endpoint {
    /// The path under the ingest service's base URL.
    pub fn path(self) -> &'static str {
        match self {
            Endpoint::Feedback => "/v1/feedback",
            Endpoint::KioskPresses => "/v1/kiosk/presses",
        }
    }
}

/// One payload to send, at its simulated time.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// Simulated send time: the press, the tablet tap, or the moment a late
    /// SMS or e-mail answer comes in (its `responded_at`).
    pub at: DateTime<Utc>,
    /// What the item is meant to be.
    pub kind: ItemKind,
    /// Where it goes.
    pub endpoint: Endpoint,
    /// The facility whose token sends it.
    pub facility: String,
    /// The channel it was collected by.
    pub channel: Channel,
    /// The event id the ingest service will see (a press's is
    /// `DEVICE:PRESS_ID`); bad items may carry none or a broken one.
    pub event_id: Option<String>,
    /// The incident that made or changed it.
    pub incident: Option<String>,
    /// The JSON body, exactly as sent.
    pub body: String,
}
