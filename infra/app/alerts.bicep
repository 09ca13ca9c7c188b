// Alerts on the scheduler's own metrics (OpenTelemetry, exported to Application Insights as customMetrics).
param appInsightsName string
param location string
param tags object

@description('Email address told about alerts; empty for none.')
param alertEmail string = ''

@description('Webhook (HTTPS) called with the common alert schema; empty for none.')
param alertWebhookUrl string = ''

@description('A due backlog above this many entries for 15 minutes raises an alert.')
param backlogThreshold int = 1000

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

var notify = !empty(alertEmail) || !empty(alertWebhookUrl)

var actionGroupName = 'ag-${appInsightsName}'

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (notify) {
  name: actionGroupName
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'scheduler'
    enabled: true
    emailReceivers: empty(alertEmail) ? [] : [ { name: 'email', emailAddress: alertEmail, useCommonAlertSchema: true } ]
    webhookReceivers: empty(alertWebhookUrl) ? [] : [ { name: 'webhook', serviceUri: alertWebhookUrl, useCommonAlertSchema: true } ]
  }
}

// Each rule: a KQL query over customMetrics whose one number must stay at or below its threshold.
var rules = [
  {
    name: 'failed-runs'
    title: 'Scheduler: runs failed, timed out or were lost'
    severity: 2
    query: 'customMetrics | where name == "scheduler.runs" | where tostring(customDimensions["scheduler.run.outcome"]) in ("failed", "timed_out", "lost") | summarize Runs = sum(valueSum)'
    column: 'Runs'
    threshold: 0
  }
  {
    name: 'missed-occurrences'
    title: 'Scheduler: occurrences missed (started later than their misfire grace)'
    severity: 2
    query: 'customMetrics | where name == "scheduler.occurrences.not_run" | where tostring(customDimensions["scheduler.not_run.reason"]) == "missed" | summarize Occurrences = sum(valueSum)'
    column: 'Occurrences'
    threshold: 0
  }
  {
    name: 'invalid-schedules'
    title: 'Scheduler: schedules are invalid (scheduler doctor says what to fix)'
    severity: 3
    query: 'customMetrics | where name == "scheduler.schedules.invalid" | summarize Schedules = max(valueMax)'
    column: 'Schedules'
    threshold: 0
  }
  {
    name: 'tick-errors'
    title: 'Scheduler: ticks failed (storage unreachable, or a schedule could not be dispatched)'
    severity: 1
    query: 'customMetrics | where name == "scheduler.tick.errors" | summarize Errors = sum(valueSum)'
    column: 'Errors'
    threshold: 0
  }
  {
    name: 'due-backlog'
    title: 'Scheduler: the due backlog stayed above ${backlogThreshold} entries'
    severity: 2
    query: 'customMetrics | where name == "scheduler.due.backlog" | summarize Backlog = min(valueMin)'
    column: 'Backlog'
    threshold: backlogThreshold
  }
]

resource alerts 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [for rule in rules: {
  name: 'alert-${rule.name}-${appInsightsName}'
  location: location
  tags: tags
  properties: {
    displayName: rule.title
    severity: rule.severity
    enabled: true
    scopes: [ appInsights.id ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          query: rule.query
          timeAggregation: 'Maximum'
          metricMeasureColumn: rule.column
          operator: 'GreaterThan'
          threshold: rule.threshold
          failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
        }
      ]
    }
    autoMitigate: true
    actions: { actionGroups: notify ? [ resourceId('Microsoft.Insights/actionGroups', actionGroupName) ] : [] }
  }
  dependsOn: [ actionGroup ]
}]

output alertRuleNames array = [for (rule, i) in rules: alerts[i].name]
