export { buildModel, type BuildOptions, type BuiltModel } from './build'
export { BUILTINS, fedAvgCnnShapes, fedAvgMlpShapes, type BuildContext, type BuiltinModule, type ModelBuilder } from './builtins'
export { modelVariables, modelWeights, setModelWeights } from './weights'
export { layersTopology, type LayersTopology } from './topology'
