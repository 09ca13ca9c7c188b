targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; used to name and tag every resource.')
param environmentName string

@minLength(1)
@description('Azure region for every resource.')
param location string

@description('Object id of the person deploying (azd sets AZURE_PRINCIPAL_ID); given table, blob and queue data roles so they can edit schedules. Empty to skip.')
param principalId string = ''

@description('NCRONTAB schedule of the SchedulerTick timer (six fields, seconds first).')
param tickSchedule string = '0 * * * * *'

@allowed([ 'Inline', 'Queue' ])
@description('Inline: the tick runs jobs itself. Queue: it enqueues them for RunOccurrence on any instance.')
param dispatchMode string = 'Inline'

@description('Create alert rules on the scheduler\'s metrics: failed runs, missed occurrences, invalid schedules, tick errors, a growing due backlog.')
param enableAlerts bool = true

@description('Email address told about alerts; empty for none (the rules still fire in the portal).')
param alertEmail string = ''

@description('HTTPS webhook called for alerts (common alert schema); empty for none.')
param alertWebhookUrl string = ''

@description('Client id of the Microsoft Entra app registration for the dashboard\'s sign-in (app roles Scheduler.Reader and Scheduler.Operator). Empty: no sign-in, and the app refuses every dashboard request.')
param dashboardClientId string = ''

@description('Serve the dashboard read-only: pages, no actions.')
param dashboardReadOnly bool = false

var abbreviation = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var deploymentContainerName = 'app-package-${abbreviation}'
// What the app uses in its storage account; each role below is scoped to exactly these.
var hostContainers = [ 'azure-webjobs-hosts', 'azure-webjobs-secrets' ]
var inputContainers = [ 'imports' ]
var schedulerTables = [ 'Schedules', 'ScheduleState', 'ScheduleDue', 'Jobs' ]
var jobTables = [ 'Heartbeats', 'Customers' ]
var queues = [ 'scheduler-occurrences', 'scheduler-occurrences-poison' ]

resource resourceGroup 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'app/identity.bicep' = {
  name: 'identity'
  scope: resourceGroup
  params: {
    name: 'id-scheduler-${abbreviation}'
    location: location
    tags: tags
  }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  scope: resourceGroup
  params: {
    name: 'st${abbreviation}'
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
    hostContainers: hostContainers
    inputContainers: inputContainers
    tables: concat(schedulerTables, jobTables)
    queues: queues
  }
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  scope: resourceGroup
  params: {
    workspaceName: 'log-${abbreviation}'
    appInsightsName: 'appi-${abbreviation}'
    location: location
    tags: tags
  }
}

module alerts 'app/alerts.bicep' = if (enableAlerts) {
  name: 'alerts'
  scope: resourceGroup
  params: {
    appInsightsName: monitoring.outputs.appInsightsName
    location: location
    tags: tags
    alertEmail: alertEmail
    alertWebhookUrl: alertWebhookUrl
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: resourceGroup
  params: {
    storageAccountName: storage.outputs.name
    appInsightsName: monitoring.outputs.appInsightsName
    appPrincipalId: identity.outputs.principalId
    userPrincipalId: principalId
    deploymentContainerName: deploymentContainerName
    hostContainers: hostContainers
    inputContainers: inputContainers
    schedulerTables: schedulerTables
    jobTables: jobTables
    queues: queues
  }
}

module functionApp 'app/function.bicep' = {
  name: 'function'
  scope: resourceGroup
  params: {
    name: 'func-scheduler-${abbreviation}'
    planName: 'plan-${abbreviation}'
    location: location
    tags: union(tags, { 'azd-service-name': 'scheduler' })
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    deploymentContainerUrl: '${storage.outputs.blobEndpoint}${deploymentContainerName}'
    blobEndpoint: storage.outputs.blobEndpoint
    queueEndpoint: storage.outputs.queueEndpoint
    tableEndpoint: storage.outputs.tableEndpoint
    appInsightsConnectionString: monitoring.outputs.connectionString
    tickSchedule: tickSchedule
    dispatchMode: dispatchMode
    inputContainers: inputContainers
    dashboardClientId: dashboardClientId
    dashboardReadOnly: dashboardReadOnly
  }
  dependsOn: [ rbac ] // the app starts reading storage as soon as it exists; give it its roles first
}

output AZURE_LOCATION string = location
output AZURE_RESOURCE_GROUP string = resourceGroup.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_STORAGE_TABLE_ENDPOINT string = storage.outputs.tableEndpoint
output AZURE_STORAGE_BLOB_ENDPOINT string = storage.outputs.blobEndpoint
output AZURE_STORAGE_QUEUE_ENDPOINT string = storage.outputs.queueEndpoint
