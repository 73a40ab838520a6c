//! An agent's time as the reports count it: logged in (from a session's start to its end) and
//! paused, by reason (from a pause to the resume, a pause for another reason, or the session's
//! end). The open session and the open pause of each agent are rows of their own, replaced
//! when they change, so a batch credits whole spans however the events fall into batches.

use super::intervals::Intervals;
use super::{parse, Tables};
use crate::bulk::{self, Cell};
use crate::event::{DomainEvent, SamtaleEvent};
use crate::timestamp;
use chrono::{DateTime, Utc};
use samtale_domain::presence::PauseReason;
use samtale_domain::PresenceEvent;
use sqlx::AnyConnection;
use std::collections::{BTreeSet, HashMap};

#[derive(Default)]
pub(super) struct PresenceTime {
    /// Agent → when the open session began.
    sessions: HashMap<String, String>,
    /// Agent → when the open pause began, and why.
    pauses: HashMap<String, (String, String)>,
    /// Agents whose rows the batch replaces.
    changed: BTreeSet<String>,
}

impl PresenceTime {
    /// Reads the open sessions and pauses, if the batch ends any (both tables hold a row per
    /// agent at most: small enough to read whole). A batch of messages reads neither.
    pub(super) async fn load(
        conn: &mut AnyConnection,
        t: &Tables,
        events: &[SamtaleEvent],
    ) -> Result<Self, sqlx::Error> {
        let mut time = PresenceTime::default();
        let ends = |e: &&SamtaleEvent| {
            matches!(
                e.event,
                DomainEvent::Presence(
                    PresenceEvent::AgentLoggedOut { .. }
                        | PresenceEvent::AgentPaused { .. }
                        | PresenceEvent::AgentResumed { .. }
                )
            )
        };
        if events.iter().any(|e| ends(&e)) {
            let sessions: Vec<(String, String)> =
                sqlx::query_as(&format!("SELECT agent_id, since FROM {}", t.sessions))
                    .fetch_all(&mut *conn)
                    .await?;
            time.sessions = sessions.into_iter().collect();
            let pauses: Vec<(String, String, String)> =
                sqlx::query_as(&format!("SELECT agent_id, since, reason FROM {}", t.pauses))
                    .fetch_all(&mut *conn)
                    .await?;
            time.pauses = pauses
                .into_iter()
                .map(|(agent, since, reason)| (agent, (since, reason)))
                .collect();
        }
        Ok(time)
    }

    pub(super) fn fold(&mut self, agent: &str, event: &PresenceEvent, intervals: &mut Intervals) {
        match event {
            PresenceEvent::AgentLoggedIn {
                session_started: true,
                at,
                ..
            } => {
                self.sessions.insert(agent.to_string(), timestamp(*at));
            }
            PresenceEvent::AgentLoggedOut {
                session_ended: true,
                at,
                ..
            } => {
                if let Some(since) = self.sessions.remove(agent).as_deref().and_then(parse) {
                    intervals.credit_session(agent, since, *at);
                }
                self.end_pause(agent, *at, intervals);
            }
            PresenceEvent::AgentPaused { reason, at, .. } => {
                self.end_pause(agent, *at, intervals);
                self.pauses.insert(
                    agent.to_string(),
                    (timestamp(*at), reason.as_str().to_string()),
                );
            }
            PresenceEvent::AgentResumed { at, .. } => self.end_pause(agent, *at, intervals),
            _ => return,
        }
        self.changed.insert(agent.to_string());
    }

    fn end_pause(&mut self, agent: &str, at: DateTime<Utc>, intervals: &mut Intervals) {
        let Some((since, reason)) = self.pauses.remove(agent) else {
            return;
        };
        let reason = PauseReason::try_from(reason).unwrap_or(PauseReason::Away);
        if let Some(since) = parse(&since) {
            intervals.credit_pause(agent, since, at, &reason);
        }
    }

    /// Replaces the open-session and open-pause rows of the agents whose presence changed.
    pub(super) async fn write(
        self,
        conn: &mut AnyConnection,
        t: &Tables,
    ) -> Result<(), sqlx::Error> {
        let agents: Vec<Vec<Cell>> = self
            .changed
            .iter()
            .map(|agent| vec![agent.clone().into()])
            .collect();
        bulk::delete_rows(conn, &t.sessions, &["agent_id"], &agents).await?;
        bulk::delete_rows(conn, &t.pauses, &["agent_id"], &agents).await?;
        let sessions: Vec<Vec<Cell>> = self
            .changed
            .iter()
            .filter_map(|agent| {
                let since = self.sessions.get(agent)?;
                Some(vec![agent.clone().into(), since.clone().into()])
            })
            .collect();
        bulk::insert(conn, &t.sessions, &["agent_id", "since"], &sessions, "").await?;
        let pauses: Vec<Vec<Cell>> = self
            .changed
            .iter()
            .filter_map(|agent| {
                let (since, reason) = self.pauses.get(agent)?;
                Some(vec![
                    agent.clone().into(),
                    since.clone().into(),
                    reason.clone().into(),
                ])
            })
            .collect();
        bulk::insert(
            conn,
            &t.pauses,
            &["agent_id", "since", "reason"],
            &pauses,
            "",
        )
        .await
    }
}
