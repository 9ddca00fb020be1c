//! Failure budgets for sign-in codes typed without their link: per address over a day,
//! per block of the client's network over an hour, and site-wide per minute.
//!
//! Why: five tries per request alone let one client spread guesses over many addresses,
//! and many clients over one address, for ever. Each budget caps one of those spreads; the
//! README's "Security" section does the arithmetic. A code typed together with its link
//! draws on none of them: without the link it cannot be guessed at all.
//!
//! How: a try writes one row per budget before its code is compared, then counts each
//! budget's rows in its window, its own included; over any budget, it deletes its rows and
//! is refused. Every admitted try saw every admitted try written before it, so no budget
//! ever admits more than its limit, across instances too (a burst of parallel tries over a
//! budget may be refused whole, since each sees the others). A right code takes its rows
//! back.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::SystemTime;

use sea_orm::sea_query::{Expr, ExprTrait as _};
use sea_orm::{
    ColumnTrait as _, Condition, DatabaseConnection, DbErr, EntityTrait as _, QueryFilter as _,
    QuerySelect as _, Set,
};

use crate::entities::code_failure;
use crate::once_a_minute::OnceAMinute;
use crate::services::CodeBudgets;
use crate::services::network::block;
use crate::services::time::{secs, unix_secs};

const SITE: &str = "site";

/// A try that fits every budget: its rows, for taking back if the code was right.
pub(super) struct Drawn(Vec<i64>);

/// The budget a try did not fit, for the log and the page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Spent {
    Address,
    Network,
    /// Codes typed without a link are paused for everyone.
    Site,
}

/// The budgets, and the warning that codes are paused site-wide (once a minute).
#[derive(Clone)]
pub(super) struct Budgets {
    limits: Arc<CodeBudgets>,
    site_paused: Arc<OnceAMinute>,
}

impl Budgets {
    pub fn new(limits: CodeBudgets) -> Self {
        Self { limits: Arc::new(limits), site_paused: Arc::default() }
    }

    /// Draws one try for `address` from `client_ip`, or says which budget is spent.
    pub async fn draw(
        &self,
        db: &DatabaseConnection,
        address: &str,
        client_ip: IpAddr,
        now: SystemTime,
    ) -> Result<Result<Drawn, Spent>, DbErr> {
        let now_secs = unix_secs(now);
        let buckets = self.buckets(address, client_ip, now_secs);
        let rows = buckets.iter().map(|b| code_failure::ActiveModel {
            bucket: Set(b.name.clone()),
            at: Set(now_secs),
            ..Default::default()
        });
        let ids: Vec<i64> = code_failure::Entity::insert_many(rows)
            .exec_with_returning(db)
            .await?
            .into_iter()
            .map(|row| row.id)
            .collect();
        let in_windows = buckets.iter().fold(Condition::any(), |any, b| {
            any.add(
                Condition::all()
                    .add(code_failure::Column::Bucket.eq(&b.name))
                    .add(code_failure::Column::At.gt(b.since)),
            )
        });
        let counts: Vec<(String, i64)> = code_failure::Entity::find()
            .select_only()
            .column(code_failure::Column::Bucket)
            .column_as(Expr::col(code_failure::Column::Id).count(), "n")
            .filter(in_windows)
            .group_by(code_failure::Column::Bucket)
            .into_tuple()
            .all(db)
            .await?;
        let over = buckets
            .iter()
            .find(|b| counts.iter().any(|(name, n)| *name == b.name && *n > i64::from(b.limit)));
        let Some(over) = over else {
            return Ok(Ok(Drawn(ids)));
        };
        // A refused try costs nothing to keep: a flood must not grow the table.
        take_back(db, ids).await?;
        if over.spent == Spent::Site {
            self.warn_paused(now);
        }
        Ok(Err(over.spent))
    }

    /// The budgets' rows older than every window, deleted.
    pub async fn purge(&self, db: &DatabaseConnection, now: SystemTime) -> Result<u64, DbErr> {
        let longest = self.limits.address_window.max(self.limits.network_window).max(MINUTE);
        let before = unix_secs(now) - secs(longest);
        let deleted = code_failure::Entity::delete_many()
            .filter(code_failure::Column::At.lte(before))
            .exec(db)
            .await?;
        Ok(deleted.rows_affected)
    }

    fn buckets(&self, address: &str, client_ip: IpAddr, now: i64) -> Vec<Bucket> {
        let limits = &self.limits;
        let network_since = now - secs(limits.network_window);
        let mut buckets = vec![
            Bucket {
                name: format!("address:{address}"),
                since: now - secs(limits.address_window),
                limit: limits.per_address,
                spent: Spent::Address,
            },
            Bucket {
                name: SITE.into(),
                since: now - secs(MINUTE),
                limit: limits.site_per_minute,
                spent: Spent::Site,
            },
        ];
        buckets.extend(networks(client_ip, limits).into_iter().map(|(name, limit)| Bucket {
            name: format!("net:{name}"),
            since: network_since,
            limit,
            spent: Spent::Network,
        }));
        buckets
    }

    fn warn_paused(&self, now: SystemTime) {
        if let Some(refused) = self.site_paused.occurred(now) {
            tracing::warn!(
                per_minute = self.limits.site_per_minute,
                refused,
                "site-wide ceiling of wrong sign-in codes reached: codes typed without a link are paused for everyone, links still work (refused: tries this ceiling refused since the last such warning)"
            );
        }
    }
}

/// A right code's try: its rows deleted, so only wrong codes stay counted.
pub(super) async fn refund(db: &DatabaseConnection, drawn: Drawn) -> Result<(), DbErr> {
    take_back(db, drawn.0).await
}

async fn take_back(db: &DatabaseConnection, ids: Vec<i64>) -> Result<(), DbErr> {
    code_failure::Entity::delete_many()
        .filter(code_failure::Column::Id.is_in(ids))
        .exec(db)
        .await?;
    Ok(())
}

const MINUTE: std::time::Duration = std::time::Duration::from_secs(60);

struct Bucket {
    name: String,
    /// Rows after this (Unix seconds) are in its window.
    since: i64,
    limit: u32,
    spent: Spent,
}

/// The blocks of the client's network that have a budget, with their limits: an IPv4
/// address and its /24, or an IPv6 /64, /56 and /48 (an IPv4-mapped address is IPv4).
fn networks(ip: IpAddr, limits: &CodeBudgets) -> Vec<(String, u32)> {
    let is_v4 = match ip {
        IpAddr::V4(_) => true,
        IpAddr::V6(v6) => v6.to_ipv4_mapped().is_some(),
    };
    let blocks: &[(u8, u8, u32)] = if is_v4 {
        &[(32, 128, limits.per_ipv4), (24, 128, limits.per_ipv4_24)]
    } else {
        &[(32, 64, limits.per_ipv6_64), (32, 56, limits.per_ipv6_56), (32, 48, limits.per_ipv6_48)]
    };
    blocks.iter().map(|&(v4, v6, limit)| (block(ip, v4, v6), limit)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_are_the_blocks_of_the_client() {
        let limits = CodeBudgets::default();
        let names = |ip: &str| -> Vec<String> {
            networks(ip.parse().unwrap(), &limits).into_iter().map(|(n, _)| n).collect()
        };
        assert_eq!(names("198.51.100.7"), ["198.51.100.7", "198.51.100.0/24"]);
        assert_eq!(names("::ffff:198.51.100.7"), ["198.51.100.7", "198.51.100.0/24"]);
        assert_eq!(
            names("2001:db8:1234:5678:9abc::1"),
            ["2001:db8:1234:5678::/64", "2001:db8:1234:5600::/56", "2001:db8:1234::/48"]
        );
    }
}
