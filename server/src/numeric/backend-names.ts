/** Backend names, without loading TensorFlow.js (tf.ts re-exports the same types). */
export type BackendName = 'webgpu' | 'wasm' | 'cpu';
export type BackendChoice = 'auto' | BackendName;
