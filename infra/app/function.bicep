param name string
param planName string
param location string
param tags object
@description('Resource id of the user-assigned identity the app runs as.')
param identityId string
@description('Client id of that identity, for the identity-based connections.')
param identityClientId string
param deploymentContainerUrl string
param blobEndpoint string
param queueEndpoint string
param tableEndpoint string
@description('Identifies the Application Insights resource; ingestion itself requires Entra ID (DisableLocalAuth).')
param appInsightsConnectionString string
param tickSchedule string
param dispatchMode string
param inputContainers array
@description('Client id of the Microsoft Entra app registration the dashboard signs users in with (app roles Scheduler.Reader and Scheduler.Operator; see README). Empty: App Service Authentication stays off and the app refuses every dashboard request.')
param dashboardClientId string = ''
@description('Serve the dashboard read-only: pages, no actions.')
param dashboardReadOnly bool = false

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true // Linux
  }
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: 40
        instanceMemoryMB: 2048
      }
      runtime: {
        name: 'dotnet-isolated'
        version: '10.0'
      }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      appSettings: [
        // The Functions host's own storage (timer locks, host keys), by identity; it needs no tables.
        { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
        { name: 'AzureWebJobsStorage__clientId', value: identityClientId }
        { name: 'AzureWebJobsStorage__blobServiceUri', value: blobEndpoint }
        { name: 'AzureWebJobsStorage__queueServiceUri', value: queueEndpoint }
        // The scheduler's tables, inputs and queue (the RunOccurrence trigger's Connection = "SchedulerStorage").
        { name: 'SchedulerStorage__credential', value: 'managedidentity' }
        { name: 'SchedulerStorage__clientId', value: identityClientId }
        { name: 'SchedulerStorage__blobServiceUri', value: blobEndpoint }
        { name: 'SchedulerStorage__queueServiceUri', value: queueEndpoint }
        { name: 'SchedulerStorage__tableServiceUri', value: tableEndpoint }
        // Linux app settings cannot contain ':'; the host reads Scheduler__TickSchedule as Scheduler:TickSchedule.
        { name: 'Scheduler__TickSchedule', value: tickSchedule }
        { name: 'Scheduler__Dispatch', value: dispatchMode }
        { name: 'Scheduler__Queue', value: 'scheduler-occurrences' }
        { name: 'Scheduler__PreciseFiring', value: 'true' }
        { name: 'Scheduler__Inputs__AllowedContainers', value: join(inputContainers, ',') }
        { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: appInsightsConnectionString }
        { name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', value: 'ClientId=${identityClientId};Authorization=AAD' }
        { name: 'Scheduler__Dashboard__ReadOnly', value: string(dashboardReadOnly) }
        // Sign-in without a client secret: App Service presents the app's managed identity as a federated credential
        // of the app registration (which trusts that identity; see README).
        { name: 'OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID', value: identityClientId }
      ]
    }
  }
}

// The dashboard is served only behind App Service Authentication with Microsoft Entra ID: the platform signs users
// in and passes their app roles to the app, which lets Scheduler.Reader see and Scheduler.Operator act.
resource auth 'Microsoft.Web/sites/config@2024-04-01' = if (!empty(dashboardClientId)) {
  parent: app
  name: 'authsettingsV2'
  properties: {
    platform: { enabled: true }
    globalValidation: {
      requireAuthentication: true
      unauthenticatedClientAction: 'RedirectToLoginPage'
      redirectToProvider: 'azureactivedirectory'
    }
    httpSettings: { requireHttps: true }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          openIdIssuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
          clientId: dashboardClientId
          clientSecretSettingName: 'OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID'
        }
        validation: {
          allowedAudiences: [ 'api://${dashboardClientId}', dashboardClientId ]
        }
      }
    }
    login: { tokenStore: { enabled: false } }
  }
}

output name string = app.name
