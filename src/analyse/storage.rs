//! Storage usage rules beyond block volumes: object storage that is never read, and
//! managed-database storage on provisioned IOPS that gp3 serves for less.

use super::usage::Ctx;
use crate::engine::classify;
use crate::engine::kinds::{LineKind, ObjectPart, StorageClass, VolumePart, VolumeType};
use crate::findings::{Confidence, Finding};

/// A bucket holding data in its standard class that no read request touched in the period:
/// a lifecycle rule moving objects older than 30 days to the provider's infrequent-access
/// class. Saving = its standard-class storage cost × `[usage] object_tiering_saving_pct`,
/// not the list-price difference: what moves, and what the small-object minimum and
/// transition fees take back, depends on object ages and sizes the bill does not show.
/// Nothing is read, so no retrieval fee is counted; a bucket whose requests the bill does not
/// split into reads and writes is left alone, as its reads are unknown.
pub(super) fn object_tiering(ctx: &Ctx, out: &mut Vec<Finding>) {
    let share = ctx.rules.object_tiering_saving_pct / 100.0;
    for rows in ctx.usage_rows.values() {
        let (mut gb_months, mut cost, mut reads, mut unknown) = (0.0, 0.0, 0.0, false);
        let mut first = None;
        for row in rows {
            let LineKind::ObjectStorage(object) = row.kind else {
                continue;
            };
            match (object.class, object.part) {
                (StorageClass::Standard, ObjectPart::Storage) => {
                    gb_months += row.quantity;
                    cost += row.effective;
                    first.get_or_insert(*row);
                }
                (_, ObjectPart::Reads | ObjectPart::Retrieval) => reads += row.quantity,
                (_, ObjectPart::Requests) => unknown = true,
                _ => {}
            }
        }
        let Some(first) = first else { continue };
        if unknown || reads > 0.0 || cost <= 0.0 {
            continue;
        }
        let target = classify::infrequent_access_class(first.provider);
        let saving = cost * share;
        let mut f = ctx.for_row("object-storage-tiering", first);
        f.current = format!("{gb_months:.0} GB-months in the standard class, never read");
        f.recommendation =
            format!("add a lifecycle rule moving objects older than 30 days to {target}");
        f.period_cost = cost;
        f.monthly_saving = ctx.monthly(saving);
        f.confidence = Confidence::Medium;
        f.evidence = format!(
            "no read request in the period; standard-class storage cost {cost:.2}, {:.0}% of it \
             claimed: objects younger than 30 days stay, the class bills a 30-day minimum and, \
             on S3, 128 KB per object at least, each transition is a request, and a GB read \
             later pays a retrieval fee",
            share * 100.0
        );
        out.push(f);
    }
}

/// RDS storage on io1 (provisioned IOPS) → gp3, which includes 3,000 IOPS below 400 GB and
/// 12,000 from 400 GB and sells more at a lower price. Target = GB × gp3 price + IOPS above
/// the included ones × gp3 IOPS price; current at list = GB × io1 price + IOPS × io1 IOPS
/// price; saving = the bill's cost × (1 − target ÷ current), so a region's own price level
/// carries over (and Multi-AZ, which doubles both sides). Up to 64,000 IOPS, gp3's ceiling.
pub(super) fn database_storage(ctx: &Ctx, out: &mut Vec<Finding>) {
    let r = ctx.rules;
    let month_hours = crate::period::Period::month_containing(ctx.aggs.period.start).hours();
    for rows in ctx.usage_rows.values() {
        let (mut gb_months, mut iops_months, mut cost) = (0.0, 0.0, 0.0);
        let mut first = None;
        for row in rows {
            let LineKind::DatabaseStorage(storage) = row.kind else {
                continue;
            };
            if storage.volume_type != VolumeType::AwsIo1 {
                continue;
            }
            cost += row.effective;
            match storage.part {
                VolumePart::Storage => {
                    gb_months += row.quantity;
                    first.get_or_insert(*row);
                }
                VolumePart::Iops => iops_months += row.quantity,
                _ => {}
            }
        }
        let Some(first) = first else {
            continue;
        };
        let months =
            ((first.last_end - first.first_start) as f64 / 3_600_000.0 / month_hours).max(1e-9);
        let (gb, iops) = (gb_months / months, iops_months / months);
        if gb <= 0.0 || iops > 64_000.0 || cost <= 0.0 {
            continue;
        }
        let included = if gb < 400.0 { 3000.0 } else { 12_000.0 };
        let target = gb * r.rds_gp3_gb_month + (iops - included).max(0.0) * r.rds_gp3_iops_month;
        let current = gb * r.rds_io1_gb_month + iops * r.rds_io1_iops_month;
        if current <= 0.0 || target >= current {
            continue;
        }
        let saving = cost * (1.0 - target / current);
        let mut f = ctx.for_row("rds-io1-to-gp3", first);
        f.current = format!("io1 {gb:.0} GB with {iops:.0} provisioned IOPS");
        f.recommendation = format!(
            "change the storage to gp3 ({included:.0} IOPS included{}), no downtime",
            if iops > included {
                format!(", {:.0} more provisioned", iops - included)
            } else {
                String::new()
            }
        );
        f.period_cost = cost;
        f.monthly_saving = ctx.monthly(saving);
        f.confidence = Confidence::Medium;
        f.evidence = format!(
            "at list prices io1 would cost {current:.2} a month and gp3 {target:.2} \
             ({:.0}% less); the bill's io1 storage cost {cost:.2} in the period",
            (1.0 - target / current) * 100.0
        );
        out.push(f);
    }
}
