import type { ModelRegistry } from '../../shared/metadata/model-dsl.ts';
import { BunqMonetaryAccount } from './bunq-monetary-account.ts';
import { BunqMonthlySpending } from './bunq-monthly-spending.ts';
import { BunqPayment } from './bunq-payment.ts';
import { NightscoutDailyGlucose } from './nightscout-daily-glucose.ts';
import { NightscoutDevicestatus } from './nightscout-devicestatus.ts';
import { NightscoutDevicestatusPrediction } from './nightscout-devicestatus-prediction.ts';
import { NightscoutEntry } from './nightscout-entry.ts';
import { NightscoutGlucoseForecast } from './nightscout-glucose-forecast.ts';
import { NightscoutProfile } from './nightscout-profile.ts';
import { NightscoutProfileStore } from './nightscout-profile-store.ts';
import { NightscoutTreatment } from './nightscout-treatment.ts';
import { TestCustomer } from './test-customer.ts';
import { TestCustomerAttribute } from './test-customer-attribute.ts';
import { TestCustomerOrder } from './test-customer-order.ts';
import { TestCustomerOrderTotal } from './test-customer-order-total.ts';
import { TestCustomerTag } from './test-customer-tag.ts';
import { TestProduct } from './test-product.ts';
import { TestReading } from './test-reading.ts';

/** Every entity model by name, as `entities.json`'s `model` refers to it. Add a model here to make it known. */
export const models = {
  test_customer: TestCustomer,
  test_customer_order: TestCustomerOrder,
  test_customer_tag: TestCustomerTag,
  test_customer_attribute: TestCustomerAttribute,
  test_product: TestProduct,
  test_reading: TestReading,
  test_customer_order_total: TestCustomerOrderTotal,
  nightscout_entry: NightscoutEntry,
  nightscout_treatment: NightscoutTreatment,
  nightscout_devicestatus: NightscoutDevicestatus,
  nightscout_devicestatus_prediction: NightscoutDevicestatusPrediction,
  nightscout_profile: NightscoutProfile,
  nightscout_profile_store: NightscoutProfileStore,
  nightscout_daily_glucose: NightscoutDailyGlucose,
  nightscout_glucose_forecast: NightscoutGlucoseForecast,
  bunq_monetary_account: BunqMonetaryAccount,
  bunq_payment: BunqPayment,
  bunq_monthly_spending: BunqMonthlySpending,
} satisfies ModelRegistry;

/** A model name the registry knows. */
export type ModelName = keyof typeof models;
