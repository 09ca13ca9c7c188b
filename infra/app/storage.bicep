@description('Storage account name: 3-24 lowercase letters and digits.')
param name string
param location string
param tags object
@description('Blob container Flex Consumption deploys the app package to.')
param deploymentContainerName string

@description('The Functions host\'s own containers; created here so each role can be scoped to them.')
param hostContainers array
@description('Containers schedules may read inputs from (Scheduler:Inputs:AllowedContainers).')
param inputContainers array
@description('The scheduler\'s tables and the tables its jobs write to.')
param tables array
@description('The occurrence queue and its poison queue.')
param queues array

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    allowSharedKeyAccess: false // identity only: no account keys, no SAS
    allowBlobPublicAccess: false // inputs are private
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    defaultToOAuthAuthentication: true // the portal and Storage Explorer sign in with Entra ID
    publicNetworkAccess: 'Enabled' // Flex Consumption without a VNet reaches storage over its public endpoint, authorised by RBAC
  }

  resource blobService 'blobServices' = {
    name: 'default'

    resource deployment 'containers' = {
      name: deploymentContainerName
    }

    resource host 'containers' = [for container in hostContainers: {
      name: container
    }]

    resource inputs 'containers' = [for container in inputContainers: {
      name: container
    }]
  }

  resource tableService 'tableServices' = {
    name: 'default'

    resource table 'tables' = [for table in tables: {
      name: table
    }]
  }

  resource queueService 'queueServices' = {
    name: 'default'

    resource queue 'queues' = [for queue in queues: {
      name: queue
    }]
  }
}

output name string = account.name
output blobEndpoint string = account.properties.primaryEndpoints.blob
output queueEndpoint string = account.properties.primaryEndpoints.queue
output tableEndpoint string = account.properties.primaryEndpoints.table
output inputContainers array = inputContainers
