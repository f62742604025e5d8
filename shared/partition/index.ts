export { dirichletPartition, iidPartition, pathologicalPartition, partition, type PartitionSpec } from './partition'
export { gammaSample } from './gamma'
