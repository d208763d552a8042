//! AWS split cost allocation data (CUR 2.0 `split_line_item_*`, legacy `splitLineItem/*`):
//! which lines are an EKS pod's or ECS task's share of an EC2 instance, which orchestrator runs
//! them, and the cluster and namespace (EKS) or service (ECS) they belong to. Per line, as
//! polars expressions, for the container aggregate to group by.
//!
//! The names come from AWS's split-allocation tags when they are activated
//! (`aws:eks:cluster-name`, `aws:eks:namespace`, `aws:ecs:clusterName`, `aws:ecs:serviceName`;
//! CUR 2.0 spells them `aws_eks_cluster_name`, ... in `resource_tags`), matched whatever their
//! case and punctuation, else from the pod or task ARN in the line's resource id
//! (`arn:aws:eks:<region>:<account>:pod/<cluster>/<namespace>/<uid>`,
//! `arn:aws:ecs:<region>:<account>:task/<cluster>/<task id>`). An ECS task ARN names no service.

use polars::prelude::*;

use super::Columns;
use crate::engine::kinds::ContainerPlatform;
use crate::schema;

/// The operations of split lines, as AWS bills them.
const EKS_POD_OPERATION: &str = "EKSPod";
const ECS_TASK_OPERATION: &str = "ECSTask";

/// An EKS pod ARN: cluster, then namespace.
const EKS_POD_ARN: &str = r"^arn:[^:]+:eks:[^:]*:[^:]*:pod/([^/]+)/([^/]+)/";
/// An ECS task ARN in the long format, which names the cluster.
const ECS_TASK_ARN: &str = r"^arn:[^:]+:ecs:[^:]*:[^:]*:task/([^/]+)/[^/]+$";

/// Tag keys, lower-cased with everything but letters and digits dropped.
const CLUSTER_TAGS: [&str; 2] = ["awseksclustername", "awsecsclustername"];
const GROUP_TAGS: [&str; 2] = ["awseksnamespace", "awsecsservicename"];

/// Whether an operation is a split line's (`EKSPod-EC2`, `ECSTask-EC2`), for the row kind.
pub fn is_split_operation(operation: &str) -> bool {
    operation.starts_with(EKS_POD_OPERATION) || operation.starts_with(ECS_TASK_OPERATION)
}

/// Split lines: those naming the instance they are a share of (EC2-launched pods and tasks;
/// Fargate's have none, and are billed on their own lines).
pub fn container_lines(c: Columns) -> Expr {
    c.col(schema::X_SPLIT_PARENT_RESOURCE_ID).is_not_null()
}

/// The [`ContainerPlatform`] of a split line, as an integer: from the operation
/// (`EKSPod-EC2`, `ECSTask-EC2`), else from the kind of ARN the line names.
pub fn container_platform(c: Columns) -> Expr {
    let operation = c.col(schema::X_OPERATION);
    let id = c.col(schema::RESOURCE_ID);
    let is = |prefix: &str, service: &str| {
        operation
            .clone()
            .str()
            .starts_with(lit(prefix))
            .or(id
                .clone()
                .str()
                .contains(lit(format!("^arn:[^:]+:{service}:")), true))
            .fill_null(lit(false))
    };
    when(is(EKS_POD_OPERATION, "eks"))
        .then(lit(ContainerPlatform::Kubernetes.code()))
        .when(is(ECS_TASK_OPERATION, "ecs"))
        .then(lit(ContainerPlatform::Ecs.code()))
        .otherwise(lit(ContainerPlatform::Other.code()))
}

/// The cluster of a split line: its cluster tag, else the pod's or task's ARN; null if neither.
pub fn container_cluster(c: Columns) -> Expr {
    let id = c.col(schema::RESOURCE_ID);
    tag_value(c.col(schema::TAGS), &CLUSTER_TAGS)
        .fill_null(id.clone().str().extract(lit(EKS_POD_ARN), 1))
        .fill_null(id.str().extract(lit(ECS_TASK_ARN), 1))
}

/// The namespace (EKS) or service (ECS) of a split line: its tag, else (EKS) the pod's ARN.
pub fn container_group(c: Columns) -> Expr {
    tag_value(c.col(schema::TAGS), &GROUP_TAGS).fill_null(
        c.col(schema::RESOURCE_ID)
            .str()
            .extract(lit(EKS_POD_ARN), 2),
    )
}

/// The value of the first tag whose key, lower-cased and without punctuation, is one of
/// `normalized`; null if none.
fn tag_value(tags: Expr, normalized: &[&str]) -> Expr {
    let wanted = Series::new("keys".into(), normalized);
    let key = element()
        .struct_()
        .field_by_name(schema::TAG_KEY)
        .str()
        .to_lowercase()
        .str()
        .replace_all(lit("[^a-z0-9]"), lit(""), false);
    let value = element()
        .filter(key.is_in(lit(wanted).implode(false), false))
        .struct_()
        .field_by_name(schema::TAG_VALUE);
    schema::null_if_empty(tags.list().eval(value).list().first())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::classify::Vocabulary;
    use crate::engine::lines::Source;

    /// Split lines as the canonical frame has them: operation, resource id, parent, tags.
    fn lines() -> DataFrame {
        let tag = |k: &str, v: &str| {
            df!(schema::TAG_KEY => [k], schema::TAG_VALUE => [v])
                .unwrap()
                .into_struct("t".into())
                .into_series()
        };
        let no_tags =
            df!(schema::TAG_KEY => Vec::<String>::new(), schema::TAG_VALUE => Vec::<String>::new())
                .unwrap()
                .into_struct("t".into())
                .into_series();
        let tags = Series::new(
            schema::TAGS.into(),
            [
                // CUR 2.0 spelling, after the importer's `aws_` -> `aws:` rewrite.
                tag("aws:eks_cluster_name", "prod"),
                // Legacy CSV spelling.
                tag("aws:ecs:clusterName", "batch"),
                no_tags.clone(),
                no_tags.clone(),
                no_tags,
            ],
        );
        df!(
            schema::X_OPERATION => [Some("EKSPod-EC2"), Some("ECSTask-EC2"), Some("EKSPod-EC2"), None, Some("RunInstances")],
            schema::RESOURCE_ID => [
                "arn:aws:eks:us-east-1:111111111111:pod/prod/web/1a",
                "arn:aws:ecs:us-east-1:111111111111:task/batch/abc",
                "arn:aws:eks:eu-west-1:111111111111:pod/dev/jobs/2b",
                "arn:aws:ecs:us-east-1:111111111111:task/legacy/def",
                "i-1",
            ],
            schema::X_SPLIT_PARENT_RESOURCE_ID => [Some("i-1"), Some("i-2"), Some("i-3"), Some("i-2"), None],
        )
        .unwrap()
        .with_column(tags.into_column())
        .unwrap()
        .clone()
    }

    fn evaluate(expr: impl Fn(Columns) -> Expr) -> Series {
        let column = |name: &str| col(name);
        let source = Source::new(&column, Vocabulary::Any);
        lines()
            .lazy()
            .select([expr(&source).alias("out")])
            .collect()
            .unwrap()
            .column("out")
            .unwrap()
            .as_materialized_series()
            .clone()
    }

    fn texts(s: &Series) -> Vec<Option<&str>> {
        s.str().unwrap().iter().collect()
    }

    #[test]
    fn split_operations_are_pods_and_tasks() {
        assert!(is_split_operation("EKSPod-EC2"));
        assert!(is_split_operation("ECSTask-EC2"));
        assert!(!is_split_operation("RunInstances"));
    }

    #[test]
    fn split_lines_are_those_with_a_parent() {
        let s = evaluate(container_lines);
        let kept: Vec<Option<bool>> = s.bool().unwrap().iter().collect();
        assert_eq!(
            kept,
            [Some(true), Some(true), Some(true), Some(true), Some(false)]
        );
    }

    #[test]
    fn platform_from_operation_else_arn() {
        let s = evaluate(container_platform);
        let codes: Vec<i64> = s
            .cast(&DataType::Int64)
            .unwrap()
            .i64()
            .unwrap()
            .iter()
            .map(|c| c.unwrap())
            .collect();
        let platforms: Vec<ContainerPlatform> = codes
            .into_iter()
            .map(|c| ContainerPlatform::from_code(Some(c)))
            .collect();
        use ContainerPlatform::*;
        // The fourth line has no operation: its ARN says ECS; the fifth is an instance.
        assert_eq!(platforms, [Kubernetes, Ecs, Kubernetes, Ecs, Other]);
    }

    #[test]
    fn cluster_from_tag_else_arn() {
        let s = evaluate(container_cluster);
        // Tags on the first two (the ARN would say the same here); the ARN on the others.
        assert_eq!(
            texts(&s),
            [
                Some("prod"),
                Some("batch"),
                Some("dev"),
                Some("legacy"),
                None
            ]
        );
    }

    #[test]
    fn namespace_from_the_pod_arn_and_no_service_from_a_task_arn() {
        let s = evaluate(container_group);
        assert_eq!(texts(&s), [Some("web"), None, Some("jobs"), None, None]);
    }

    #[test]
    fn tag_keys_match_whatever_their_spelling() {
        let df = df!("k" => ["AWS:ECS:ServiceName", "aws_ecs_service_name", "team"])
            .unwrap()
            .lazy()
            .select([as_struct(vec![
                col("k").alias(schema::TAG_KEY),
                lit("api").alias(schema::TAG_VALUE),
            ])
            .implode(false)
            .alias("tags")])
            .collect()
            .unwrap();
        let found = df
            .lazy()
            .select([tag_value(col("tags"), &GROUP_TAGS).alias("v")])
            .collect()
            .unwrap();
        assert_eq!(
            found.column("v").unwrap().str().unwrap().get(0),
            Some("api")
        );
        let none = df!("k" => ["team"]).unwrap().lazy().select([as_struct(vec![
            col("k").alias(schema::TAG_KEY),
            lit("x").alias(schema::TAG_VALUE),
        ])
        .implode(false)
        .alias("tags")]);
        let none = none
            .select([tag_value(col("tags"), &GROUP_TAGS).alias("v")])
            .collect()
            .unwrap();
        assert_eq!(none.column("v").unwrap().str().unwrap().get(0), None);
    }
}
