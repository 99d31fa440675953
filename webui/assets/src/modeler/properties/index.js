import GiaoviecPropertiesProvider from './provider';

export default {
  __init__: [ 'gvPropertiesProvider' ],
  gvPropertiesProvider: [ 'type', GiaoviecPropertiesProvider ]
};
