//! A queue's opening hours: the hours of each weekday and the dates that differ (holidays, a
//! late opening), in the queue's own time zone. Outside them the queue takes no new chat and
//! the widget says when it opens.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OpeningHours {
    /// An IANA time zone, e.g. `Europe/Oslo`.
    pub time_zone: String,
    /// The hours of each weekday (`mon` … `sun`); a day left out is closed.
    pub weekly: BTreeMap<Day, Vec<Span>>,
    /// Dates whose hours differ from their weekday's; no spans: closed all day.
    #[serde(default)]
    pub exceptions: Vec<Exception>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Day {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl From<Weekday> for Day {
    fn from(day: Weekday) -> Self {
        match day {
            Weekday::Mon => Day::Mon,
            Weekday::Tue => Day::Tue,
            Weekday::Wed => Day::Wed,
            Weekday::Thu => Day::Thu,
            Weekday::Fri => Day::Fri,
            Weekday::Sat => Day::Sat,
            Weekday::Sun => Day::Sun,
        }
    }
}

/// Open from `from` until `to`, local time; `to` of `00:00` is midnight, the day's end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Span {
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = String, example = "08:00", pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,9})?)?$")
    )]
    pub from: NaiveTime,
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = String, example = "16:00", pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,9})?)?$")
    )]
    pub to: NaiveTime,
}

impl Span {
    fn ends_at_midnight(&self) -> bool {
        self.to == NaiveTime::MIN
    }

    fn contains(&self, time: NaiveTime) -> bool {
        self.from <= time && (time < self.to || self.ends_at_midnight())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Exception {
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date, example = "2026-12-24"))]
    pub date: NaiveDate,
    #[serde(default)]
    pub spans: Vec<Span>,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HoursError {
    #[error("{0} is not a time zone (use an IANA name such as Europe/Oslo)")]
    UnknownTimeZone(String),
    #[error("a span must end after it begins (00:00 as its end is midnight)")]
    EmptySpan,
    #[error("the spans of a day must not overlap")]
    Overlap,
    #[error("a date has one exception at most")]
    DuplicateDate,
}

/// How far ahead the next opening is looked for: a queue closed longer is "closed for now".
const LOOK_AHEAD_DAYS: i64 = 31;

impl OpeningHours {
    /// Checks that the hours can be used: a known time zone, spans that end after they begin
    /// and do not overlap, one exception per date.
    pub fn check(&self) -> Result<(), HoursError> {
        self.zone()?;
        let days = self
            .weekly
            .values()
            .chain(self.exceptions.iter().map(|e| &e.spans));
        for spans in days {
            let mut sorted = spans.clone();
            sorted.sort_by_key(|span| span.from);
            if sorted
                .iter()
                .any(|span| !span.ends_at_midnight() && span.to <= span.from)
            {
                return Err(HoursError::EmptySpan);
            }
            let overlaps = sorted
                .windows(2)
                .any(|pair| pair[0].ends_at_midnight() || pair[1].from < pair[0].to);
            if overlaps {
                return Err(HoursError::Overlap);
            }
        }
        let mut dates: Vec<NaiveDate> = self.exceptions.iter().map(|e| e.date).collect();
        dates.sort();
        dates.dedup();
        if dates.len() != self.exceptions.len() {
            return Err(HoursError::DuplicateDate);
        }
        Ok(())
    }

    fn zone(&self) -> Result<Tz, HoursError> {
        self.time_zone
            .parse()
            .map_err(|_| HoursError::UnknownTimeZone(self.time_zone.clone()))
    }

    /// The spans of a local date: its exception's, or its weekday's.
    fn spans_on(&self, date: NaiveDate) -> &[Span] {
        match self.exceptions.iter().find(|e| e.date == date) {
            Some(exception) => &exception.spans,
            None => self
                .weekly
                .get(&Day::from(date.weekday()))
                .map(Vec::as_slice)
                .unwrap_or_default(),
        }
    }

    pub fn is_open(&self, at: DateTime<Utc>) -> bool {
        let Ok(zone) = self.zone() else {
            return true;
        };
        let local = at.with_timezone(&zone);
        self.spans_on(local.date_naive())
            .iter()
            .any(|span| span.contains(local.time()))
    }

    /// When the queue next opens after `at` (within a month), if it is closed at `at`.
    pub fn next_opening(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if self.is_open(at) {
            return None;
        }
        let zone = self.zone().ok()?;
        let today = at.with_timezone(&zone).date_naive();
        (0..=LOOK_AHEAD_DAYS)
            .filter_map(|days| today.checked_add_signed(Duration::days(days)))
            .flat_map(|date| {
                let mut starts: Vec<NaiveTime> =
                    self.spans_on(date).iter().map(|span| span.from).collect();
                starts.sort();
                starts.into_iter().map(move |start| date.and_time(start))
            })
            // A start in a daylight-saving gap opens at the first instant after it.
            .filter_map(|local| {
                zone.from_local_datetime(&local).earliest().or_else(|| {
                    zone.from_local_datetime(&(local + Duration::hours(1)))
                        .earliest()
                })
            })
            .map(|opening| opening.with_timezone(&Utc))
            .find(|opening| *opening > at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(from: &str, to: &str) -> Span {
        Span {
            from: from.parse().unwrap(),
            to: to.parse().unwrap(),
        }
    }

    /// Weekdays 08:00-16:00 in Oslo; closed on Christmas Eve, short on 23 December.
    fn office() -> OpeningHours {
        let weekdays = [Day::Mon, Day::Tue, Day::Wed, Day::Thu, Day::Fri];
        OpeningHours {
            time_zone: "Europe/Oslo".into(),
            weekly: weekdays
                .into_iter()
                .map(|day| (day, vec![span("08:00", "16:00")]))
                .collect(),
            exceptions: vec![
                Exception {
                    date: "2026-12-24".parse().unwrap(),
                    spans: vec![],
                },
                Exception {
                    date: "2026-12-23".parse().unwrap(),
                    spans: vec![span("10:00", "12:00")],
                },
            ],
        }
    }

    fn utc(at: &str) -> DateTime<Utc> {
        at.parse().unwrap()
    }

    #[test]
    fn open_in_the_queues_own_time_zone() {
        // 07:30 UTC is 08:30 in Oslo in winter; 15:30 UTC is 16:30.
        assert!(office().is_open(utc("2026-12-01T07:30:00Z")));
        assert!(!office().is_open(utc("2026-12-01T15:30:00Z")));
        // Summer time: 06:30 UTC is 08:30 in Oslo.
        assert!(office().is_open(utc("2026-06-02T06:30:00Z")));
    }

    #[test]
    fn an_exception_replaces_its_weekdays_hours() {
        assert!(
            !office().is_open(utc("2026-12-24T09:00:00Z")),
            "Christmas Eve"
        );
        assert!(
            !office().is_open(utc("2026-12-23T08:00:00Z")),
            "09:00 local"
        );
        assert!(office().is_open(utc("2026-12-23T09:30:00Z")), "10:30 local");
    }

    #[test]
    fn the_next_opening_skips_closed_days() {
        // Friday 17:00 local → Monday 08:00 local.
        assert_eq!(
            office().next_opening(utc("2026-12-04T16:00:00Z")),
            Some(utc("2026-12-07T07:00:00Z"))
        );
        // Christmas Eve → Christmas Day, a Friday, at 08:00.
        assert_eq!(
            office().next_opening(utc("2026-12-24T07:00:00Z")),
            Some(utc("2026-12-25T07:00:00Z"))
        );
        assert_eq!(
            office().next_opening(utc("2026-12-01T07:30:00Z")),
            None,
            "open"
        );
    }

    #[test]
    fn midnight_ends_a_day_and_bad_hours_are_refused() {
        let late = OpeningHours {
            weekly: BTreeMap::from([(Day::Tue, vec![span("20:00", "00:00")])]),
            ..office()
        };
        assert!(late.check().is_ok());
        assert!(late.is_open(utc("2026-12-01T22:59:00Z")), "23:59 local");
        let bad = |weekly: Vec<Span>| OpeningHours {
            weekly: BTreeMap::from([(Day::Mon, weekly)]),
            ..office()
        };
        assert_eq!(
            bad(vec![span("16:00", "08:00")]).check(),
            Err(HoursError::EmptySpan)
        );
        assert_eq!(
            bad(vec![span("08:00", "12:00"), span("11:00", "14:00")]).check(),
            Err(HoursError::Overlap)
        );
        let nowhere = OpeningHours {
            time_zone: "Mars/Olympus".into(),
            ..office()
        };
        assert!(matches!(
            nowhere.check(),
            Err(HoursError::UnknownTimeZone(_))
        ));
    }
}
