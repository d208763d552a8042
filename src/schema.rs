//! The canonical billing schema: FOCUS 1.2 column names and meanings, plus `x_` extensions for
//! AWS detail. This module is the only place that names canonical columns; importers end here
//! and analysers start here.

use polars::prelude::*;

pub const BILLING_ACCOUNT_ID: &str = "BillingAccountId";
pub const BILLING_ACCOUNT_NAME: &str = "BillingAccountName";
pub const SUB_ACCOUNT_ID: &str = "SubAccountId";
pub const SUB_ACCOUNT_NAME: &str = "SubAccountName";
pub const PROVIDER_NAME: &str = "ProviderName";
pub const BILLING_CURRENCY: &str = "BillingCurrency";
pub const BILLING_PERIOD_START: &str = "BillingPeriodStart";
pub const BILLING_PERIOD_END: &str = "BillingPeriodEnd";
pub const CHARGE_PERIOD_START: &str = "ChargePeriodStart";
pub const CHARGE_PERIOD_END: &str = "ChargePeriodEnd";
pub const CHARGE_CATEGORY: &str = "ChargeCategory";
pub const CHARGE_CLASS: &str = "ChargeClass";
pub const CHARGE_DESCRIPTION: &str = "ChargeDescription";
pub const SERVICE_NAME: &str = "ServiceName";
pub const SERVICE_CATEGORY: &str = "ServiceCategory";
/// FOCUS 1.1+: the finer category (`Virtual Machines`, `Block Storage`, `Object Storage`, ...).
pub const SERVICE_SUBCATEGORY: &str = "ServiceSubcategory";
pub const REGION_ID: &str = "RegionId";
pub const AVAILABILITY_ZONE: &str = "AvailabilityZone";
pub const RESOURCE_ID: &str = "ResourceId";
pub const RESOURCE_TYPE: &str = "ResourceType";
pub const SKU_ID: &str = "SkuId";
/// FOCUS 1.1+: what the SKU measures (`Compute`, `Storage`, `Data Transfer`, ...).
pub const SKU_METER: &str = "SkuMeter";
/// FOCUS 1.1+: the SKU's properties as a JSON object (`{"InstanceType": "m5.large", ...}`).
pub const SKU_PRICE_DETAILS: &str = "SkuPriceDetails";
pub const PRICING_CATEGORY: &str = "PricingCategory";
pub const PRICING_QUANTITY: &str = "PricingQuantity";
pub const PRICING_UNIT: &str = "PricingUnit";
pub const CONSUMED_QUANTITY: &str = "ConsumedQuantity";
pub const CONSUMED_UNIT: &str = "ConsumedUnit";
pub const COMMITMENT_DISCOUNT_ID: &str = "CommitmentDiscountId";
pub const COMMITMENT_DISCOUNT_TYPE: &str = "CommitmentDiscountType";
pub const COMMITMENT_DISCOUNT_STATUS: &str = "CommitmentDiscountStatus";
/// `Spend` or `Usage`: what the commitment is denominated in.
pub const COMMITMENT_DISCOUNT_CATEGORY: &str = "CommitmentDiscountCategory";
pub const CAPACITY_RESERVATION_ID: &str = "CapacityReservationId";
pub const CAPACITY_RESERVATION_STATUS: &str = "CapacityReservationStatus";
pub const BILLED_COST: &str = "BilledCost";
pub const EFFECTIVE_COST: &str = "EffectiveCost";
pub const LIST_COST: &str = "ListCost";
pub const CONTRACTED_COST: &str = "ContractedCost";
pub const TAGS: &str = "Tags";
/// AWS product code (`AmazonEC2`): usage types only mean something paired with it.
pub const X_SERVICE_CODE: &str = "x_ServiceCode";
pub const X_USAGE_TYPE: &str = "x_UsageType";
pub const X_OPERATION: &str = "x_Operation";
pub const X_INSTANCE_TYPE: &str = "x_InstanceType";
pub const X_LINE_ITEM_TYPE: &str = "x_LineItemType";
/// Size factor of the instance (small = 1, large = 4, ...), for RI normalised units.
pub const X_NORMALIZATION_FACTOR: &str = "x_NormalizationFactor";
/// When the reservation or savings plan behind the line ends.
pub const X_COMMITMENT_DISCOUNT_END: &str = "x_CommitmentDiscountEnd";
/// AWS net amortised cost (amortised cost after private discounts), as Cost Explorer reports it.
pub const X_NET_AMORTIZED_COST: &str = "x_NetAmortizedCost";
/// AWS split cost allocation (EKS pods, ECS tasks on EC2): the instance a pod's or task's line
/// is a share of. Only split lines carry it.
pub const X_SPLIT_PARENT_RESOURCE_ID: &str = "x_SplitParentResourceId";
/// The share of the parent instance's amortised cost the pod or task used. An allocation of
/// cost billed on the instance's own line: never part of BilledCost or EffectiveCost.
pub const X_SPLIT_COST: &str = "x_SplitCost";
/// The pod's or task's share of the parent instance's capacity that nothing used.
pub const X_SPLIT_UNUSED_COST: &str = "x_SplitUnusedCost";
/// The FOCUS version a line's file was written in (`1.2`); null for sources that are not FOCUS.
pub const X_FOCUS_VERSION: &str = "x_FocusVersion";

// FOCUS 1.2 columns costlens reads through but does not analyse: kept so that `convert`
// writes them out again.
pub const PUBLISHER_NAME: &str = "PublisherName";
pub const INVOICE_ISSUER_NAME: &str = "InvoiceIssuerName";
pub const INVOICE_ID: &str = "InvoiceId";
pub const BILLING_ACCOUNT_TYPE: &str = "BillingAccountType";
pub const SUB_ACCOUNT_TYPE: &str = "SubAccountType";
pub const CHARGE_FREQUENCY: &str = "ChargeFrequency";
pub const REGION_NAME: &str = "RegionName";
pub const RESOURCE_NAME: &str = "ResourceName";
pub const SKU_PRICE_ID: &str = "SkuPriceId";
pub const COMMITMENT_DISCOUNT_NAME: &str = "CommitmentDiscountName";
pub const COMMITMENT_DISCOUNT_QUANTITY: &str = "CommitmentDiscountQuantity";
pub const COMMITMENT_DISCOUNT_UNIT: &str = "CommitmentDiscountUnit";
pub const LIST_UNIT_PRICE: &str = "ListUnitPrice";
pub const CONTRACTED_UNIT_PRICE: &str = "ContractedUnitPrice";
pub const PRICING_CURRENCY: &str = "PricingCurrency";
pub const PRICING_CURRENCY_CONTRACTED_UNIT_PRICE: &str = "PricingCurrencyContractedUnitPrice";
pub const PRICING_CURRENCY_EFFECTIVE_COST: &str = "PricingCurrencyEffectiveCost";
pub const PRICING_CURRENCY_LIST_UNIT_PRICE: &str = "PricingCurrencyListUnitPrice";

/// Field names of one entry of the `Tags` list.
pub const TAG_KEY: &str = "key";
pub const TAG_VALUE: &str = "value";

/// FOCUS ChargeCategory values.
pub mod charge_category {
    pub const USAGE: &str = "Usage";
    pub const PURCHASE: &str = "Purchase";
    pub const TAX: &str = "Tax";
    pub const CREDIT: &str = "Credit";
    pub const ADJUSTMENT: &str = "Adjustment";
}

/// FOCUS PricingCategory values.
pub mod pricing_category {
    pub const STANDARD: &str = "Standard";
    pub const COMMITTED: &str = "Committed";
    pub const DYNAMIC: &str = "Dynamic";
    pub const OTHER: &str = "Other";
}

/// FOCUS CommitmentDiscountStatus values.
pub mod commitment_status {
    pub const USED: &str = "Used";
    pub const UNUSED: &str = "Unused";
}

/// What kind of value a canonical column holds; decides its dtype and how it is parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    /// Money in the billing currency: exact pico-units (see [`money_dtype`]).
    Money,
    Quantity,
    /// UTC instant.
    Timestamp,
    /// List of {key, value} pairs.
    Tags,
}

pub struct Column {
    pub name: &'static str,
    pub kind: Kind,
}

const fn column(name: &'static str, kind: Kind) -> Column {
    Column { name, kind }
}

/// Every canonical column, in output order.
pub const COLUMNS: &[Column] = &[
    column(BILLING_ACCOUNT_ID, Kind::Text),
    column(BILLING_ACCOUNT_NAME, Kind::Text),
    column(SUB_ACCOUNT_ID, Kind::Text),
    column(SUB_ACCOUNT_NAME, Kind::Text),
    column(PROVIDER_NAME, Kind::Text),
    column(BILLING_CURRENCY, Kind::Text),
    column(BILLING_PERIOD_START, Kind::Timestamp),
    column(BILLING_PERIOD_END, Kind::Timestamp),
    column(CHARGE_PERIOD_START, Kind::Timestamp),
    column(CHARGE_PERIOD_END, Kind::Timestamp),
    column(CHARGE_CATEGORY, Kind::Text),
    column(CHARGE_CLASS, Kind::Text),
    column(CHARGE_DESCRIPTION, Kind::Text),
    column(SERVICE_NAME, Kind::Text),
    column(SERVICE_CATEGORY, Kind::Text),
    column(SERVICE_SUBCATEGORY, Kind::Text),
    column(REGION_ID, Kind::Text),
    column(AVAILABILITY_ZONE, Kind::Text),
    column(RESOURCE_ID, Kind::Text),
    column(RESOURCE_TYPE, Kind::Text),
    column(SKU_ID, Kind::Text),
    column(SKU_METER, Kind::Text),
    column(SKU_PRICE_DETAILS, Kind::Text),
    column(PRICING_CATEGORY, Kind::Text),
    column(PRICING_QUANTITY, Kind::Quantity),
    column(PRICING_UNIT, Kind::Text),
    column(CONSUMED_QUANTITY, Kind::Quantity),
    column(CONSUMED_UNIT, Kind::Text),
    column(COMMITMENT_DISCOUNT_ID, Kind::Text),
    column(COMMITMENT_DISCOUNT_TYPE, Kind::Text),
    column(COMMITMENT_DISCOUNT_STATUS, Kind::Text),
    column(COMMITMENT_DISCOUNT_CATEGORY, Kind::Text),
    column(CAPACITY_RESERVATION_ID, Kind::Text),
    column(CAPACITY_RESERVATION_STATUS, Kind::Text),
    column(BILLED_COST, Kind::Money),
    column(EFFECTIVE_COST, Kind::Money),
    column(LIST_COST, Kind::Money),
    column(CONTRACTED_COST, Kind::Money),
    column(TAGS, Kind::Tags),
    column(X_SERVICE_CODE, Kind::Text),
    column(X_USAGE_TYPE, Kind::Text),
    column(X_OPERATION, Kind::Text),
    column(X_INSTANCE_TYPE, Kind::Text),
    column(X_LINE_ITEM_TYPE, Kind::Text),
    column(X_NORMALIZATION_FACTOR, Kind::Quantity),
    column(X_COMMITMENT_DISCOUNT_END, Kind::Timestamp),
    column(X_NET_AMORTIZED_COST, Kind::Money),
    column(X_SPLIT_PARENT_RESOURCE_ID, Kind::Text),
    column(X_SPLIT_COST, Kind::Money),
    column(X_SPLIT_UNUSED_COST, Kind::Money),
    column(X_FOCUS_VERSION, Kind::Text),
    column(PUBLISHER_NAME, Kind::Text),
    column(INVOICE_ISSUER_NAME, Kind::Text),
    column(INVOICE_ID, Kind::Text),
    column(BILLING_ACCOUNT_TYPE, Kind::Text),
    column(SUB_ACCOUNT_TYPE, Kind::Text),
    column(CHARGE_FREQUENCY, Kind::Text),
    column(REGION_NAME, Kind::Text),
    column(RESOURCE_NAME, Kind::Text),
    column(SKU_PRICE_ID, Kind::Text),
    column(COMMITMENT_DISCOUNT_NAME, Kind::Text),
    column(COMMITMENT_DISCOUNT_QUANTITY, Kind::Quantity),
    column(COMMITMENT_DISCOUNT_UNIT, Kind::Text),
    column(LIST_UNIT_PRICE, Kind::Quantity),
    column(CONTRACTED_UNIT_PRICE, Kind::Quantity),
    column(PRICING_CURRENCY, Kind::Text),
    column(PRICING_CURRENCY_CONTRACTED_UNIT_PRICE, Kind::Quantity),
    // Money in the pricing currency: never summed with the billing currency's.
    column(PRICING_CURRENCY_EFFECTIVE_COST, Kind::Quantity),
    column(PRICING_CURRENCY_LIST_UNIT_PRICE, Kind::Quantity),
];

/// Money columns that every canonical line carries (FOCUS: not null).
pub const MONEY: [&str; 4] = [BILLED_COST, EFFECTIVE_COST, LIST_COST, CONTRACTED_COST];

pub fn tags_dtype() -> DataType {
    DataType::List(Box::new(DataType::Struct(vec![
        Field::new(TAG_KEY.into(), DataType::String),
        Field::new(TAG_VALUE.into(), DataType::String),
    ])))
}

/// Digits of a canonical money column: a sum of lines, each below the line limit
/// (see [`crate::money`]), fits with room to spare.
pub const MONEY_PRECISION: usize = 38;

/// Canonical money: decimal pico-units, exact at any magnitude a bill reaches.
pub fn money_dtype() -> DataType {
    DataType::Decimal(MONEY_PRECISION, crate::money::SCALE)
}

/// A typed zero of money, for rules that set an amount to nothing.
pub fn zero_money() -> Expr {
    lit(0i64).cast(money_dtype())
}

pub fn timestamp_dtype() -> DataType {
    DataType::Datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC))
}

impl Kind {
    pub fn dtype(self) -> DataType {
        match self {
            Kind::Text => DataType::String,
            Kind::Money => money_dtype(),
            Kind::Quantity => DataType::Float64,
            Kind::Timestamp => timestamp_dtype(),
            Kind::Tags => tags_dtype(),
        }
    }
}

/// The canonical schema as a polars schema.
pub fn canonical_schema() -> Schema {
    COLUMNS
        .iter()
        .map(|c| Field::new(c.name.into(), c.kind.dtype()))
        .collect()
}

/// Builds the canonical projection from an importer's mapping: every canonical column in order,
/// cast to its dtype, with empty text turned into null (FOCUS: nulls are real nulls, never "").
/// Columns the mapping does not provide are typed nulls.
pub fn project(mut mapping: impl FnMut(&'static str) -> Option<Expr>) -> Vec<Expr> {
    COLUMNS
        .iter()
        .map(|c| {
            let dtype = c.kind.dtype();
            let expr = match mapping(c.name) {
                Some(e) => e.strict_cast(dtype),
                None => lit(NULL).cast(dtype),
            };
            let expr = if c.kind == Kind::Text {
                null_if_empty(expr)
            } else {
                expr
            };
            expr.alias(c.name)
        })
        .collect()
}

/// `""` text becomes null (a plain comparison: stripping every cell would copy every string).
pub fn null_if_empty(expr: Expr) -> Expr {
    when(expr.clone().eq(lit("")))
        .then(lit(NULL).cast(DataType::String))
        .otherwise(expr)
}

/// The value of the first entry of a key/value list (a `Tags` column, or a parquet MAP column,
/// which polars reads as a list of {key, value} structs) whose key is one of `keys`; null if none.
pub fn kv_get(list: Expr, keys: &[&str]) -> Expr {
    let wanted = Series::new("keys".into(), keys);
    list.list()
        .eval(
            element()
                .filter(
                    element()
                        .struct_()
                        .field_by_index(0)
                        .is_in(lit(wanted).implode(false), false),
                )
                .struct_()
                .field_by_index(1),
        )
        .list()
        .first()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique() {
        let mut names: Vec<_> = COLUMNS.iter().map(|c| c.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), COLUMNS.len());
    }

    #[test]
    fn missing_columns_are_typed_nulls_and_empty_text_is_null() {
        let df = df!("a" => ["", "x"]).unwrap();
        let out = df
            .lazy()
            .select(project(|name| match name {
                SERVICE_NAME => Some(col("a")),
                _ => None,
            }))
            .collect()
            .unwrap();
        assert_eq!(out.schema().as_ref(), &canonical_schema());
        let service = out.column(SERVICE_NAME).unwrap().str().unwrap();
        assert_eq!(service.get(0), None);
        assert_eq!(service.get(1), Some("x"));
        assert_eq!(out.column(BILLED_COST).unwrap().null_count(), 2);
    }
}
