import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Cause } from './index.js';
import { classifyReview, normalise, tokenise } from './index.js';

const causesOf = (message: string, title = ''): readonly Cause[] => classifyReview({ title, message }).causes;
const primaryOf = (message: string, title = ''): Cause => classifyReview({ title, message }).primary;

describe('normalise', () => {
  it('lowers case, strips accents and punctuation, marks clause boundaries', () => {
    assert.equal(normalise('NÃO CHEGOU, até HOJE!!!'), 'nao chegou | ate hoje');
    assert.equal(normalise('Péssimo. Ação; devolução?'), 'pessimo | acao | devolucao');
  });

  it('cuts letters repeated for emphasis but keeps rr and ss', () => {
    assert.equal(normalise('muitoooo ruimmmm'), 'muito ruim');
    assert.equal(normalise('péssssimo carrrro'), 'pessimo carro');
  });

  it('spells out chat abbreviations and fixes common misspellings', () => {
    assert.equal(normalise('ñ recebi, vc q sabe pq msm'), 'nao recebi | voce que sabe porque mesmo');
    assert.equal(normalise('n chego'), 'nao chegou');
    assert.equal(normalise('entrega atrazada, reembolço'), 'entrega atrasada | reembolso');
  });

  it('never turns "no" (in the) into a negation', () => {
    assert.deepEqual(tokenise('chegou no prazo'), ['chegou', 'no', 'prazo']);
  });

  it('gives no token for an empty or blank text', () => {
    assert.deepEqual(tokenise(''), []);
    assert.deepEqual(tokenise('  ... !! '), []);
  });
});

describe('classifyReview', () => {
  it('finds a delay in the ways it is written', () => {
    for (const text of [
      'Não recebi o produto',
      'ainda nao chegou',
      'Produto atrasado',
      'O prazo de entrega já passou e nada',
      'entrega fora do prazo',
      'Comprei há um mês e até agora nada',
      'nunca chegou',
      'pedido extraviado pelos correios',
      'cadê meu pedido?',
      'Estou aguardando a entrega até hoje',
    ]) {
      assert.deepEqual(causesOf(text), ['delay'], text);
    }
  });

  it('does not take a negated or on-time delivery for a delay', () => {
    for (const text of ['Chegou antes do prazo', 'não atrasou', 'chegou no prazo', 'entrega sem atraso nenhum', 'Não demorou nada para chegar']) {
      assert.ok(!causesOf(text).includes('delay'), text);
    }
    assert.deepEqual(causesOf('Chegou antes do prazo, mas veio quebrado'), ['product_quality']);
    assert.deepEqual(causesOf('não veio com defeito, só não gostei da cor'), ['product_quality']);
  });

  it('lets an intensifying negation through: "nunca vi demorar tanto" is a delay', () => {
    assert.deepEqual(causesOf('Nunca vi demorar tanto pra entregar'), ['delay']);
    assert.deepEqual(causesOf('não esperava tanta demora'), ['delay']);
  });

  it('reads "não recebi" as a delay unless what was not received is an answer or a refund', () => {
    assert.deepEqual(causesOf('Ainda não recebi o produto nem nenhuma orientação'), ['delay']);
    assert.deepEqual(causesOf('não recebi nenhuma resposta'), ['service']);
    assert.deepEqual(causesOf('até agora não recebi o estorno'), ['service']);
  });

  it('reads accents, capitals and misspellings alike', () => {
    const forms = ['NÃO RECEBI O PRODUTO', 'nao recebi o produto', 'ñ recebi o produto', 'n recebi o produto', 'Não Recebí O Produto'];
    for (const text of forms) assert.deepEqual(causesOf(text), ['delay'], text);
    assert.deepEqual(causesOf('PRODUTO ATRAZADO!!!'), ['delay']);
    assert.deepEqual(causesOf('veio com defeitooo'), ['product_quality']);
    assert.deepEqual(causesOf('o reembolço até agora nada'), ['service']);
  });

  it('gives several causes when the review states several, the first complaint about the goods as primary', () => {
    const both = classifyReview({ title: 'Produto errado', message: 'Recebi o produto errado e ninguém responde meus emails' });
    assert.deepEqual(both.causes, ['wrong_or_missing', 'service']);
    assert.equal(both.primary, 'wrong_or_missing');
    const late = classifyReview({ title: '', message: 'Demorou muito para chegar e veio quebrado, pedi a devolução e ninguém responde' });
    assert.deepEqual(late.causes, ['delay', 'product_quality', 'service']);
    assert.equal(late.primary, 'delay');
    // Service trouble follows from what went wrong with the goods: it is primary only alone.
    assert.equal(primaryOf('Entrei em contato várias vezes pois o produto não chegou'), 'delay');
    assert.equal(primaryOf('Cancelei a compra e até agora não recebi o estorno'), 'service');
  });

  it('tells a missing part of the order from a parcel that never came', () => {
    assert.deepEqual(causesOf('Comprei 2 unidades e só veio uma'), ['wrong_or_missing']);
    assert.deepEqual(causesOf('Ainda não recebi o restante do pedido'), ['wrong_or_missing']);
    assert.deepEqual(causesOf('não veio o carregador'), ['wrong_or_missing']);
    assert.deepEqual(causesOf('não recebi resposta da loja'), ['service']);
  });

  it('reads each cause in the common ways a customer puts it', () => {
    const expected: [string, Cause[]][] = [
      ['Consta como entregue mas não recebi nada', ['delay']],
      ['O prazo de entrega expirou e nada do pedido', ['delay']],
      ['Comprei três e vieram só dois', ['wrong_or_missing']],
      ['Veio na cor azul, pedi preta', ['wrong_or_missing']],
      ['Mandaram outro modelo', ['wrong_or_missing']],
      ['Produto veio sem o manual', ['wrong_or_missing']],
      ['Chegou com a tela trincada', ['product_quality']],
      ['Não liga de jeito nenhum', ['product_quality']],
      ['Diferente da foto, propaganda enganosa', ['product_quality']],
      ['Pedi o cancelamento e até hoje não estornaram', ['service']],
      ['Ninguém responde os emails', ['service']],
      ['Fui cobrado duas vezes', ['service']],
      ['Tentei trocar e não consegui', ['service']],
    ];
    for (const [text, causes] of expected) assert.deepEqual(causesOf(text), causes, text);
  });

  it('finds nothing in an empty text or one with no stated reason', () => {
    assert.deepEqual(classifyReview({ title: '', message: '' }), { causes: ['other'], primary: 'other', evidence: {} });
    assert.deepEqual(causesOf('Péssimo, não recomendo'), ['other']);
  });

  it('gives no Portuguese cause to a review in another language', () => {
    for (const text of ['The product never arrived, very late delivery', 'El producto no llegó, muy tarde']) {
      assert.ok(!causesOf(text).includes('delay'), text);
    }
  });

  it('keeps the title and the message apart: a negation in one does not reach the other', () => {
    assert.deepEqual(classifyReview({ title: 'Não gostei', message: 'Atrasou muito' }).causes, ['delay']);
  });
});
