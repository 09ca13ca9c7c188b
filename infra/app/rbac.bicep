@description('The storage account whose containers, tables and queues the app and, optionally, a person get data roles on.')
param storageAccountName string
param appInsightsName string
@description('Principal id of the Function App\'s user-assigned identity.')
param appPrincipalId string
@description('Object id of a person who should be able to edit schedules, read runs and upload inputs; empty for none.')
param userPrincipalId string = ''
@description('Where Flex Consumption keeps the app package: the app writes it on deploy and reads it at start; uploaders get nothing here.')
param deploymentContainerName string
@description('The Functions host\'s own containers (timer locks, host id, keys).')
param hostContainers array
@description('Containers schedules read inputs from (Scheduler:Inputs:AllowedContainers).')
param inputContainers array
@description('The scheduler\'s own tables.')
param schedulerTables array
@description('Tables the registered jobs write to (the sample jobs\' Args).')
param jobTables array
@description('The occurrence queue and its poison queue.')
param queues array

// Built-in role definition ids (https://learn.microsoft.com/azure/role-based-access-control/built-in-roles).
var storageBlobDataOwner = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b' // the Functions host's own containers
var storageBlobDataContributor = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
var storageQueueDataContributor = '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
var storageTableDataContributor = '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
var monitoringMetricsPublisher = '3913510d-42f4-4e42-8a64-420c390055eb' // Entra ID telemetry ingestion

var appTableNames = concat(schedulerTables, jobTables)
var userTables = empty(userPrincipalId) ? [] : schedulerTables
var userInputs = empty(userPrincipalId) ? [] : inputContainers

// Every role is scoped to one container, table or queue: nothing is granted on the whole account, so a job (which
// runs as the app) reaches only what is listed here, and an uploader cannot replace the app package.
resource hostContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = [for container in hostContainers: {
  name: '${storageAccountName}/default/${container}'
}]

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = {
  name: '${storageAccountName}/default/${deploymentContainerName}'
}

resource inputContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = [for container in inputContainers: {
  name: '${storageAccountName}/default/${container}'
}]

resource appTable 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' existing = [for table in appTableNames: {
  name: '${storageAccountName}/default/${table}'
}]

resource queue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' existing = [for name in queues: {
  name: '${storageAccountName}/default/${name}'
}]

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource appHostContainers 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (container, i) in hostContainers: {
  name: guid(hostContainer[i].id, appPrincipalId, storageBlobDataOwner)
  scope: hostContainer[i]
  properties: {
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataOwner)
  }
}]

resource appDeploymentContainer 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(deploymentContainer.id, appPrincipalId, storageBlobDataContributor)
  scope: deploymentContainer
  properties: {
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributor)
  }
}

resource appInputContainers 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (container, i) in inputContainers: {
  name: guid(inputContainer[i].id, appPrincipalId, storageBlobDataContributor)
  scope: inputContainer[i]
  properties: {
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributor)
  }
}]

resource appTableRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (table, i) in appTableNames: {
  name: guid(appTable[i].id, appPrincipalId, storageTableDataContributor)
  scope: appTable[i]
  properties: {
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageTableDataContributor)
  }
}]

resource appQueues 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (name, i) in queues: {
  name: guid(queue[i].id, appPrincipalId, storageQueueDataContributor)
  scope: queue[i]
  properties: {
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageQueueDataContributor)
  }
}]

resource appTelemetryRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, appPrincipalId, monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisher)
  }
}

// The person: edits schedules and reads runs with the CLI (the scheduler's tables), uploads inputs (the input containers).
resource userTableRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (table, i) in userTables: {
  name: guid(appTable[i].id, userPrincipalId, storageTableDataContributor)
  scope: appTable[i]
  properties: {
    principalId: userPrincipalId
    principalType: 'User'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageTableDataContributor)
  }
}]

resource userInputRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (container, i) in userInputs: {
  name: guid(inputContainer[i].id, userPrincipalId, storageBlobDataContributor)
  scope: inputContainer[i]
  properties: {
    principalId: userPrincipalId
    principalType: 'User'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributor)
  }
}]
